"""Order → preview latency: 20 orders, one after another, on a stack this script starts.

Measures from the API call that starts generation until the preview URL answers 200 (and,
separately, until the project reads `preview_ready`), plus the median of every step's
pipeline_step duration. Results go to bench/results/latest.json.

    make bench            # or: python -m bench.order_to_preview --orders 20 (or --quick)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import httpx
from rich.table import Table

from bench.common import (
    RESULTS,
    console,
    machine,
    new_order,
    now,
    percentile,
    private_stack,
    update_results,
    wait_for_preview,
)
from sitegen.settings import REPO_ROOT, Settings


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
        for n in range(args.warmup):
            one_order(api, settings, n)
        for n in range(args.orders):
            runs.append(one_order(api, settings, args.warmup + n))
            console.print(
                f"order {n + 1:2d}/{args.orders}: {runs[-1]['to_preview_200_s']:.3f} s "
                f"({runs[-1]['example']})"
            )
    report(runs, args)


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    serving = [r["to_preview_200_s"] for r in runs]
    ready = [r["to_preview_ready_s"] for r in runs]
    step_keys = list(runs[0]["steps"])
    step_medians = {k: statistics.median(r["steps"][k] for r in runs) for k in step_keys}
    result = {
        "orders": len(runs),
        "warmup": args.warmup,
        "measured_at": now(),
        "machine": machine(),
        "to_preview_200_s": {
            "p50": statistics.median(serving),
            "p95": percentile(serving, 0.95),
            "min": min(serving),
        },
        "to_preview_ready_s": {"p50": statistics.median(ready), "p95": percentile(ready, 0.95)},
        "step_median_s": step_medians,
        "runs": runs,
    }
    update_results(result)  # top level, as before the revision scenario had its own section

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
    console.print(table)
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
