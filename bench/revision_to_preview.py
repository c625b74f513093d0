"""Revision → preview latency: 20 revisions on live previews, on a stack this script starts.

A few projects each get several revisions, one after the other (each waits until the
project is back to `preview_ready`, so no revision queues behind another). Each is timed
from the `POST .../revisions` call until the preview URL serves the change (the new
headline, colour, intro or service is in the page), and, separately, until the API reads
the revision `applied` and the project `preview_ready` again. The revision's own steps come
from `GET .../pipeline`. Results go to the `revision_to_preview` section of
bench/results/latest.json.

    make bench            # or: python -m bench.revision_to_preview --revisions 20 (or --quick)
"""

from __future__ import annotations

import argparse
import html
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx
from rich.table import Table

from bench.common import (
    RESULTS,
    console,
    new_order,
    private_stack,
    section,
    spread,
    target,
    update_results,
    wait_status,
)
from sitegen.integrations.hosting.probe import get_preview
from sitegen.settings import REPO_ROOT, Settings

STEPS = ("generate_revision_patch", "apply_patch", "build_and_test", "deploy_preview")
TARGET_P50_S = 1.0
# Mid-tone colours none of the examples uses: every colour change really changes the CSS.
PALETTE = ("#2a6f97", "#8e3b46", "#4c6a2f", "#6b4e9b", "#b0640c", "#1d7874", "#9c2f6e")
POLL_S = 0.02  # fine enough for sub-second timings, coarse enough to leave the CPU to the run


@dataclass(frozen=True)
class Change:
    kind: str
    message: str
    path: str  # where on the preview the change shows ("" is the home page)
    shows: str  # text that page serves once the change is live


def change(n: int) -> Change:
    """The n-th revision: five kinds in turn (one in Portuguese), each with text no earlier
    revision used, so the preview can only match once this one is live."""
    tag = f"{n:02d}"
    kind = n % 5
    if kind == 0:
        text = f"Bench headline {tag}"
        return Change("headline", f'Change the headline on the home page to "{text}"', "", text)
    if kind == 1:
        colour = PALETTE[n % len(PALETTE)]
        return Change("colour", f"Change the primary colour to {colour}", "css/tokens.css", colour)
    if kind == 2:
        text = f"Booked online in a minute, round {tag}."
        return Change("intro", f'Change the intro on the home page to "{text}"', "", text)
    if kind == 3:
        name = f"Bench service {tag}"
        message = f'Add a service "{name}": "Added by the benchmark, round {tag}."'
        return Change("service", message, "services.html", name)
    text = f"Título de teste {tag}"
    return Change("headline_pt", f'mude o título da página inicial para "{text}"', "", text)


def page(url: str) -> str | None:
    try:
        response = get_preview(url, timeout=2)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def serves(url: str, wanted: str, colour: bool = False, before: str | None = None) -> bool:
    """Whether the change is live. A colour shows as itself, or, when text could not read on
    it, as the deeper shade of its hue the template makes of it: the stylesheet changed."""
    text = page(url)
    if text is None:
        return False
    return wanted in text or (colour and before is not None and text != before)


def one_revision(api: httpx.Client, project: dict[str, Any], n: int) -> dict[str, Any]:
    pid, the = project["id"], change(n)
    url = project["preview_url"].rstrip("/") + "/" + the.path
    if the.path and get_preview(url, timeout=2).status_code == 404:
        # A site without that page (a small business's home and contact only) shows the
        # change on its home page.
        url = project["preview_url"]
    wanted = html.escape(the.shows, quote=False)
    before = page(url)
    if before is not None and wanted in before:
        raise RuntimeError(f"revision {n}: {url} shows {the.shows!r} before it was asked for")
    colour = the.kind == "colour"

    started = time.perf_counter()
    queued = api.post(f"/api/v1/projects/{pid}/revisions", json={"message": the.message})
    queued.raise_for_status()
    revision_id = queued.json()["revision_id"]
    deadline = started + 60
    serving = applied = None
    polls = 0
    # The cheap static preview first, the API only now and then: the measuring itself
    # should take as little CPU from the pipeline as it can.
    while serving is None and time.perf_counter() < deadline:
        if serves(url, wanted, colour, before):
            serving = time.perf_counter() - started
            break
        polls += 1
        if polls % 25 == 0:  # a refusal would otherwise be noticed only at the deadline
            revision = api.get(f"/api/v1/projects/{pid}/revisions/{revision_id}").json()
            if revision["status"] == "rejected":
                raise RuntimeError(f"revision {n} rejected: {revision['rejection_reason']}")
        time.sleep(POLL_S)
    while applied is None and time.perf_counter() < deadline:
        revision = api.get(f"/api/v1/projects/{pid}/revisions/{revision_id}").json()
        if revision["status"] == "applied":
            applied = time.perf_counter() - started
        elif revision["status"] == "rejected":
            raise RuntimeError(f"revision {n} rejected: {revision['rejection_reason']}")
        else:
            time.sleep(POLL_S)
    if serving is None or applied is None:
        raise RuntimeError(f"revision {n} ({the.message!r}) was not live in 60 s")
    wait_status(api, pid, "preview_ready", timeout=60)
    ready = time.perf_counter() - started

    # One pipeline_step row per step, rewritten by each run: right after this revision (and
    # before the next) the rows are this revision's own, which the patch step confirms.
    steps = {s["step_key"]: s for s in api.get(f"/api/v1/projects/{pid}/pipeline").json()}
    mine = (steps["generate_revision_patch"].get("details") or {}).get("revision_id")
    if mine != revision_id:
        raise RuntimeError(f"revision {n}: the pipeline rows belong to revision {mine}")
    return {
        "example": project["example"],
        "kind": the.kind,
        "message": the.message,
        "to_preview_changed_s": serving,
        "to_applied_s": applied,
        "to_preview_ready_s": ready,
        "steps": {k: float(steps[k]["duration_seconds"] or 0) for k in STEPS},
    }


def live_projects(api: httpx.Client, settings: Settings, count: int) -> list[dict[str, Any]]:
    """`count` projects at their first preview; ordered together, as they are not measured."""
    created = [new_order(api, n, start=True) for n in range(count)]
    projects = []
    for project_id, form in created:
        project = wait_status(api, project_id, "preview_ready")
        assert project["preview_url"] == settings.preview_url(form["subdomain"])
        projects.append({**project, "example": form["example"]})
    return projects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=20, help="measured revisions")
    parser.add_argument("--projects", type=int, default=4, help="previews they are spread over")
    parser.add_argument("--warmup", type=int, default=2, help="revisions run first, not counted")
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 6 revisions on 2 projects, 1 warmup"
    )
    args = parser.parse_args()
    if args.quick:
        args.revisions, args.projects, args.warmup = 6, 2, 1
    args.projects = max(1, min(args.projects, args.revisions))

    runs: list[dict[str, Any]] = []
    with (
        private_stack() as (stack, settings),
        stack.api_client() as api,
    ):
        with console.status(f"ordering {args.projects} sites..."):
            projects = live_projects(api, settings, args.projects)
        n = 0
        for _ in range(args.warmup):  # warms the worker's and the host's caches
            one_revision(api, projects[0], n)
            n += 1
        # Each project gets its share one after another: a project's revisions build on
        # each other, as a client's do.
        per_project = [args.revisions // args.projects] * args.projects
        for i in range(args.revisions % args.projects):
            per_project[i] += 1
        for project, count in zip(projects, per_project, strict=True):
            for _ in range(count):
                runs.append(one_revision(api, project, n))
                n += 1
                run = runs[-1]
                console.print(
                    f"revision {len(runs):2d}/{args.revisions}: "
                    f"{run['to_preview_changed_s']:.3f} s ({run['example']}, {run['kind']})"
                )
    report(runs, args)


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    changed = spread([r["to_preview_changed_s"] for r in runs])
    applied = spread([r["to_applied_s"] for r in runs])
    ready = spread([r["to_preview_ready_s"] for r in runs])
    step_medians = {k: statistics.median(r["steps"][k] for r in runs) for k in STEPS}
    update_results(
        "revision",
        section(
            parameters={"revisions": len(runs), "projects": args.projects, "warmup": args.warmup},
            n=len(runs),
            measures="POST revision → preview shows the change",
            latency=[r["to_preview_changed_s"] for r in runs],
            targets=[
                target(
                    "revision turnaround p50",
                    f"≤ {TARGET_P50_S:g} s",
                    f"{changed['p50']:.3f} s",
                    changed["p50"] <= TARGET_P50_S,
                )
            ],
            to_applied_s=applied,
            to_preview_ready_s=ready,
            step_median_s=step_medians,
            step_median_sum_s=sum(step_medians.values()),
            runs=runs,
        ),
    )

    table = Table(title=f"revision → preview, {len(runs)} revisions on {args.projects} previews")
    table.add_column("measure")
    for column in ("p50", "p95", "max"):
        table.add_column(column, justify="right")
    for label, values in (
        ("POST revision → preview shows the change", changed),
        ("POST revision → revision applied", applied),
        ("POST revision → status preview_ready", ready),
    ):
        table.add_row(label, *(f"{values[c]:.3f} s" for c in ("p50", "p95", "max")))
    console.print(table)
    steps = Table(title="median time per revision step (pipeline_step.duration_seconds)")
    steps.add_column("step")
    steps.add_column("median", justify="right")
    for key, value in step_medians.items():
        steps.add_row(key, f"{value:.3f} s")
    console.print(steps)
    verdict = "met" if changed["p50"] <= TARGET_P50_S else "missed"
    console.print(
        f"target p50 ≤ {TARGET_P50_S:g} s on {os.cpu_count()} cores: {verdict} "
        f"({changed['p50']:.3f} s)"
    )
    console.print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
    os._exit(0)  # a process that ran Temporal clients can crash at exit (sdk-python#300)
