"""Order → preview latency: 20 orders, one after another, on a stack this script starts.

Measures from the API call that starts generation until the preview URL answers 200 (and,
separately, until the project reads `preview_ready`), plus the median of every step's
pipeline_step duration. Then, side by side on the same stack, as many orders through the same
activity code called directly in this process (`bench/direct.py`, no Temporal): the ratio of
the two medians is what durability costs an order's latency. Results go to the `sequential`
section of bench/results/latest.json.

    make bench            # or: python -m bench.order_to_preview --orders 20 (or --quick)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx
from pydantic import SecretStr
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
    wait_for_preview,
)
from bench.direct import project_ref, run_direct
from sitegen.logging import configure_logging
from sitegen.settings import REPO_ROOT, Settings

TARGET_LATENCY_RATIO = 1.3


def one_order(api: httpx.Client, settings: Settings, n: int) -> dict[str, Any]:
    project_id, form = new_order(api, n)
    url = settings.preview_url(form["subdomain"])

    started = time.perf_counter()
    api.post(f"/api/v1/projects/{project_id}/generate").raise_for_status()
    serving = wait_for_preview(api, project_id, url, started, 120, n)
    ready = None
    deadline = started + 120
    while time.perf_counter() < deadline and ready is None:
        status = api.get(f"/api/v1/projects/{project_id}").json()["status"]
        if status == "preview_ready":
            ready = time.perf_counter() - started
        elif status in ("needs_attention", "cancelled"):
            raise RuntimeError(f"order {n} ended {status}")
        time.sleep(0.02)
    if ready is None:
        raise RuntimeError(f"order {n} did not finish in 120 s")
    steps = api.get(f"/api/v1/projects/{project_id}/pipeline").json()
    return {
        "example": form["example"],
        "to_preview_200_s": serving,
        "to_preview_ready_s": ready,
        "steps": {s["step_key"]: float(s["duration_seconds"] or 0) for s in steps},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="orders run first, not counted")
    parser.add_argument("--quick", action="store_true", help="a short run: 5 orders, 1 warmup")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.warmup = 5, 1

    runs: list[dict[str, Any]] = []
    with (
        private_stack() as (stack, settings),
        stack.api_client() as api,
    ):
        configure_logging(settings)  # the direct phase logs like the worker: warnings only
        for n in range(args.warmup):
            one_order(api, settings, n)
        for n in range(args.orders):
            runs.append(one_order(api, settings, args.warmup + n))
            console.print(
                f"order {n + 1:2d}/{args.orders}: {runs[-1]['to_preview_200_s']:.3f} s "
                f"({runs[-1]['example']})"
            )
        first = args.warmup + args.orders
        projects = [project_ref(api, new_order(api, first + n)[0]) for n in range(args.orders)]
        direct_settings = settings.model_copy(
            update={"database_url": SecretStr(stack.database_url)}
        )
        with console.status(f"the same {args.orders} orders called directly..."):
            direct, _ = asyncio.run(
                run_direct(direct_settings, stack.database_url, projects, concurrent=False)
            )
    report(runs, direct, args)


def report(runs: list[dict[str, Any]], direct: list[float], args: argparse.Namespace) -> None:
    serving = [r["to_preview_200_s"] for r in runs]
    ready = [r["to_preview_ready_s"] for r in runs]
    step_keys = list(runs[0]["steps"])
    step_medians = {k: statistics.median(r["steps"][k] for r in runs) for k in step_keys}
    ratio = statistics.median(ready) / statistics.median(direct)
    result = {
        "to_preview_200_s": spread(serving),
        "to_preview_ready_s": spread(ready),
        "direct_to_preview_ready_s": spread(direct),
        "latency_ratio": ratio,
    }
    update_results(
        "sequential",
        section(
            parameters={"orders": len(runs), "warmup": args.warmup},
            n=len(runs),
            measures="one at a time: API call → preview answers 200",
            latency=serving,
            targets=[
                target(
                    "latency, Temporal / direct (to preview_ready)",
                    f"≤ {TARGET_LATENCY_RATIO:g}",
                    f"{ratio:.2f} ({statistics.median(ready):.2f} s / "
                    f"{statistics.median(direct):.2f} s)",
                    ratio <= TARGET_LATENCY_RATIO,
                )
            ],
            step_median_s=step_medians,
            runs=runs,
            **result,
        ),
    )

    table = Table(title=f"order → preview, {len(runs)} orders in a row")
    table.add_column("measure")
    table.add_column("p50", justify="right")
    table.add_column("p95", justify="right")
    table.add_row(
        "API call → preview answers 200",
        f"{result['to_preview_200_s']['p50']:.3f} s",
        f"{result['to_preview_200_s']['p95']:.3f} s",
    )
    table.add_row(
        "API call → status preview_ready",
        f"{result['to_preview_ready_s']['p50']:.3f} s",
        f"{result['to_preview_ready_s']['p95']:.3f} s",
    )
    table.add_row(
        "the same, activities called directly",
        f"{result['direct_to_preview_ready_s']['p50']:.3f} s",
        f"{result['direct_to_preview_ready_s']['p95']:.3f} s",
    )
    console.print(table)
    console.print(f"latency, Temporal / direct: {ratio:.2f} (target ≤ {TARGET_LATENCY_RATIO:g})")
    steps = Table(title="median time per step (pipeline_step.duration_seconds)")
    steps.add_column("step")
    steps.add_column("median", justify="right")
    for key, value in step_medians.items():
        steps.add_row(key, f"{value:.3f} s")
    console.print(steps)
    console.print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
    os._exit(0)
