"""Scale with size: order → preview for sites of more pages and with more images.

Pages: the `saas` example asking for 1, 3 and 6 pages (6 is the most any built-in template
has; the form takes up to 10). The pages' copy is written side by side (one AI request per
page), so the cost should grow far slower than the page count. Images: the `portfolio`
example with 1, 5 and 20 client images uploaded through the API (each a project's picture,
up to the 12 projects a portfolio shows; the rest are the gallery's extra images), which the
pipeline checks, resizes and re-encodes. Each size is ordered `--runs` times, one order at a
time; reported per size: the median from the API call that starts generation until the
preview answers 200, and its ratio to the smallest size.

    python -m bench.scale --runs 3        # or --quick: one run of each size
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import time
from typing import Any

import httpx
from PIL import Image
from rich.table import Table

from bench.common import console, private_stack, section, target, update_results, wait_for_preview
from sitegen.settings import REPO_ROOT, Settings

EXAMPLES = REPO_ROOT / "examples" / "onboarding"
PAGE_COUNTS = (1, 3, 6)
IMAGE_COUNTS = (1, 5, 20)
MAX_PROJECTS = 12


def photo(n: int) -> bytes:
    """A 1600x1067 JPEG with some structure to it (a flat colour would compress to nothing
    and cost the resizer nothing)."""
    image = Image.new("RGB", (1600, 1067))
    pixels = image.load()
    assert pixels is not None
    for x in range(0, 1600, 4):
        for y in range(0, 1067, 4):
            pixels[x, y] = ((x * 7 + n * 40) % 256, (y * 5 + n * 13) % 256, (x + y + n) % 256)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _create(api: httpx.Client, template_id: str, form: dict[str, Any], tag: str) -> str:
    body = {
        "customer": {"name": form["business"]["name"], "email": f"scale-{tag}@example.com"},
        "order": {"reference": f"scale-{tag}-{secrets.token_hex(4)}"},
        "template_id": template_id,
        "name": form["business"]["name"],
    }
    created = api.post("/api/v1/projects", json=body)
    created.raise_for_status()
    return str(created.json()["id"])


def pages_form(count: int, tag: str) -> dict[str, Any]:
    form: dict[str, Any] = json.loads((EXAMPLES / "saas" / "tally-invoicing.json").read_text())
    # Every page of the template the example can fill, in the template's order.
    form["pages"] = ["home", "features", "pricing", "about", "faq", "contact"][:count]
    form["subdomain"] = f"scale-pages-{tag}"
    return form


def images_form(
    api: httpx.Client, project_id: str, count: int, tag: str, photos: list[bytes]
) -> dict[str, Any]:
    form: dict[str, Any] = json.loads(
        (EXAMPLES / "portfolio" / "estudio-marina-costa.json").read_text()
    )
    assets = []
    for n in range(count):
        uploaded = api.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": (f"work-{n}.jpg", photos[n % len(photos)], "image/jpeg")},
        )
        uploaded.raise_for_status()
        key = uploaded.json()["storage_key"]
        assets.append({"kind": "image", "storage_key": key, "alt": f"Work sample {n + 1}"})
    form["assets"] = assets
    base = form["projects"]
    form["projects"] = [
        {**base[n % len(base)], "title": f"{base[n % len(base)]['title']} {n + 1}", "image": n}
        for n in range(min(count, MAX_PROJECTS))
    ]
    form["subdomain"] = f"scale-images-{tag}"
    return form


def one_order(
    api: httpx.Client, settings: Settings, axis: str, size: int, n: int
) -> tuple[float, dict[str, float]]:
    """Seconds to a preview answering 200, and each step's duration (where the time went)."""
    tag = f"{size}-{n}-{secrets.token_hex(2)}"
    if axis == "pages":
        form = pages_form(size, tag)
        project_id = _create(api, "saas", form, tag)
    else:
        form = json.loads((EXAMPLES / "portfolio" / "estudio-marina-costa.json").read_text())
        project_id = _create(api, "portfolio", form, tag)
        form = images_form(api, project_id, size, tag, PHOTOS)
    api.post(f"/api/v1/projects/{project_id}/onboarding", json=form).raise_for_status()
    started = time.perf_counter()
    api.post(f"/api/v1/projects/{project_id}/generate").raise_for_status()
    url = settings.preview_url(form["subdomain"])
    seconds = wait_for_preview(api, project_id, url, started, 300, n)
    steps = api.get(f"/api/v1/projects/{project_id}/pipeline").json()
    return seconds, {s["step_key"]: float(s["duration_seconds"] or 0) for s in steps}


PHOTOS: list[bytes] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="orders of each size")
    parser.add_argument("--quick", action="store_true", help="one order of each size")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    PHOTOS.extend(photo(n) for n in range(4))
    times: dict[str, dict[int, list[float]]] = {"pages": {}, "images": {}}
    steps: dict[str, dict[int, list[dict[str, float]]]] = {"pages": {}, "images": {}}
    with private_stack() as (stack, settings), stack.api_client() as api:
        one_order(api, settings, "pages", 1, 0)  # warm-up, not counted
        n = 1
        for _ in range(args.runs):  # sizes interleaved: a slow spell of the machine is shared
            for axis, sizes in (("pages", PAGE_COUNTS), ("images", IMAGE_COUNTS)):
                for size in sizes:
                    seconds, durations = one_order(api, settings, axis, size, n)
                    times[axis].setdefault(size, []).append(seconds)
                    steps[axis].setdefault(size, []).append(durations)
                    console.print(f"{axis} {size:2d}: {seconds:.2f} s")
                    n += 1
    report(times, steps, args.runs)


def slowest_steps(runs: list[dict[str, float]], count: int = 4) -> dict[str, float]:
    """The steps that took longest, by their median over the runs of one size."""
    medians = {key: statistics.median(r.get(key, 0.0) for r in runs) for key in runs[0]}
    return dict(sorted(medians.items(), key=lambda kv: -kv[1])[:count])


def report(
    times: dict[str, dict[int, list[float]]],
    steps: dict[str, dict[int, list[dict[str, float]]]],
    runs: int,
) -> None:
    medians = {
        axis: {size: statistics.median(values) for size, values in by_size.items()}
        for axis, by_size in times.items()
    }
    table = Table(title=f"order → preview by size, median of {runs}")
    for column in ("axis", "size", "median", "vs smallest", "size ratio"):
        table.add_column(column, justify="right")
    growth: dict[str, dict[str, float]] = {}
    for axis, by_size in medians.items():
        smallest = min(by_size)
        for size, value in sorted(by_size.items()):
            ratio = value / by_size[smallest]
            table.add_row(axis, str(size), f"{value:.2f} s", f"{ratio:.2f}", f"{size / smallest:g}")
        largest = max(by_size)
        growth[axis] = {
            "time_ratio": by_size[largest] / by_size[smallest],
            "size_ratio": largest / smallest,
        }
    console.print(table)
    slowest = {
        axis: {str(count): slowest_steps(r) for count, r in sorted(per_size.items())}
        for axis, per_size in steps.items()
    }
    for axis, sizes in slowest.items():
        for label, top in sizes.items():
            console.print(f"{axis} {label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in top.items()))
    pages = growth["pages"]
    update_results(
        "scale",
        section(
            parameters={"runs": runs, "pages": PAGE_COUNTS, "images": IMAGE_COUNTS},
            n=sum(len(v) for by_size in times.values() for v in by_size.values()),
            measures="API call → preview answers 200, by pages and by images",
            latency=[t for by_size in times.values() for v in by_size.values() for t in v],
            targets=[
                target(
                    f"{PAGE_COUNTS[-1]} pages vs 1: time grows sub-linearly",
                    f"< {pages['size_ratio']:g}x",
                    f"{pages['time_ratio']:.2f}x",
                    pages["time_ratio"] < pages["size_ratio"],
                )
            ],
            median_s={axis: {str(k): v for k, v in m.items()} for axis, m in medians.items()},
            growth=growth,
            slowest_steps_s=slowest,
            runs_s={axis: {str(k): v for k, v in m.items()} for axis, m in times.items()},
        ),
    )


if __name__ == "__main__":
    main()
    os._exit(0)  # a process that ran Temporal clients can crash at exit (sdk-python#300)
