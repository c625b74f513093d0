"""Throughput: many orders submitted at once, sites per minute until every one is live.

Two phases on one private stack, side by side: the orders through the whole product (the
API starts each workflow, the worker runs them), then as many new orders through the same
activity code called directly in this process (`bench/direct.py`: no Temporal). Reported:
sites per minute, each order's time from its submission to `preview_ready` (p50/p95 under
load), peak RSS and CPU of the worker, the API, Temporal and Postgres during the first
phase, and the Temporal/direct ratios. A failed order fails the scenario.

Where Chromium is installed every passing build also runs the browser gates (rendered
contrast and screenshots), which cost more CPU than everything else in a build; the
scenario says which way it ran (`--browser` / `--no-browser`; default: as installed).

    python -m bench.throughput --orders 200      # or --quick: 20 orders
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
from pydantic import SecretStr
from rich.table import Table

from bench.common import (
    console,
    new_order,
    private_stack,
    ready_times,
    section,
    spread,
    target,
    update_results,
    wait_status,
)
from bench.direct import project_ref, run_direct
from bench.processes import ProcessSampler
from sitegen.logging import configure_logging
from sitegen.settings import Settings

TARGET_PER_MIN = 180.0
TARGET_WORKER_RSS_MB = 400.0
TARGET_THROUGHPUT_RATIO = 0.7


async def _step_medians(database_url: str, ids: list[str]) -> dict[str, float]:
    """Each step's median duration over these orders: where the time went under load."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT step_key, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_seconds)"
            " AS median FROM pipeline_step WHERE project_id = ANY($1::uuid[])"
            " AND duration_seconds IS NOT NULL GROUP BY step_key ORDER BY min(step_order)",
            ids,
        )
    finally:
        await connection.close()
    return {row["step_key"]: float(row["median"]) for row in rows}


def through_temporal(stack: Any, api: Any, orders: int, first: int) -> dict[str, Any]:
    created = [new_order(api, first + n) for n in range(orders)]
    ids = [project_id for project_id, _ in created]
    submitted: dict[str, float] = {}

    def submit(project_id: str) -> None:
        submitted[project_id] = time.perf_counter()
        api.post(f"/api/v1/projects/{project_id}/generate").raise_for_status()

    sampler = ProcessSampler.for_stack(stack)
    with sampler, console.status(f"{orders} orders through the workflow..."):
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:  # "at once": as fast as the API takes them
            list(pool.map(submit, ids))
        ready = asyncio.run(ready_times(stack.database_url, ids, 60 + orders * 10, poll=0.2))
        wall = max(ready.values()) - started
    latencies = [ready[i] - submitted[i] for i in ids]
    steps = asyncio.run(_step_medians(stack.database_url, ids))
    return {
        "wall_s": wall,
        "latencies": latencies,
        "processes": sampler.summary(),
        "steps": steps,
    }


def through_direct(
    stack: Any, api: Any, settings: Settings, orders: int, first: int
) -> dict[str, Any]:
    created = [new_order(api, first + n) for n in range(orders)]
    projects = [project_ref(api, project_id) for project_id, _ in created]
    direct_settings = settings.model_copy(update={"database_url": SecretStr(stack.database_url)})
    with console.status(f"the same {orders} orders called directly..."):
        latencies, wall = asyncio.run(
            run_direct(direct_settings, stack.database_url, projects, concurrent=True)
        )
    ids = [str(p.project_id) for p in projects]
    steps = asyncio.run(_step_medians(stack.database_url, ids))
    return {"wall_s": wall, "latencies": latencies, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a short run: 20 orders")
    browser = parser.add_mutually_exclusive_group()
    browser.add_argument("--browser", dest="browser", action="store_true", default=None)
    browser.add_argument("--no-browser", dest="browser", action="store_false")
    args = parser.parse_args()
    if args.quick:
        args.orders = 20
    if args.browser is False:
        os.environ["SITEGEN_CHROMIUM"] = ""  # the stack's processes and this one read it
    settings_now = Settings()
    with_browser = bool(settings_now.chromium)
    name = (
        "throughput"
        if args.browser is None
        else f"throughput_{'' if with_browser else 'no_'}browser"
    )

    with private_stack() as (stack, settings), stack.api_client() as api:
        configure_logging(settings)  # the direct phase logs like the worker: warnings only
        for n in range(2):  # warm-up, not counted: imports, caches, the first workflows
            project_id, _ = new_order(api, n, start=True)
            wait_status(api, project_id, "preview_ready")
        temporal = through_temporal(stack, api, args.orders, 10)
        direct = through_direct(stack, api, settings, args.orders, 10 + args.orders)
    report(name, args.orders, with_browser, temporal, direct)


def report(
    name: str, orders: int, with_browser: bool, temporal: dict[str, Any], direct: dict[str, Any]
) -> None:
    per_min = orders / temporal["wall_s"] * 60
    direct_per_min = orders / direct["wall_s"] * 60
    ratio = per_min / direct_per_min
    worker_rss = temporal["processes"].get("worker", {}).get("peak_rss_mb", 0.0)
    latency_ratio = statistics.median(temporal["latencies"]) / statistics.median(
        direct["latencies"]
    )
    targets = [
        target(
            "sites per minute",
            f"≥ {TARGET_PER_MIN:g}",
            f"{per_min:.1f}",
            per_min >= TARGET_PER_MIN,
        ),
        target(
            "worker peak RSS",
            f"≤ {TARGET_WORKER_RSS_MB:g} MB",
            f"{worker_rss:.0f} MB",
            worker_rss <= TARGET_WORKER_RSS_MB,
        ),
        target(
            "throughput, Temporal / direct",
            f"≥ {TARGET_THROUGHPUT_RATIO:g}",
            f"{ratio:.2f}",
            ratio >= TARGET_THROUGHPUT_RATIO,
        ),
    ]
    update_results(
        name,
        section(
            parameters={"orders": orders, "browser_gates": with_browser, "cores": os.cpu_count()},
            n=orders,
            measures="submitted at once → preview_ready, under load",
            latency=temporal["latencies"],
            throughput_per_min=per_min,
            processes=temporal["processes"],
            targets=targets,
            wall_s=temporal["wall_s"],
            direct={
                "wall_s": direct["wall_s"],
                "throughput_per_min": direct_per_min,
                "latency_s": spread(direct["latencies"]),
            },
            ratios={"throughput": ratio, "latency_p50": latency_ratio},
            step_median_s={"temporal": temporal["steps"], "direct": direct["steps"]},
        ),
    )
    table = Table(title=f"{orders} orders at once, browser gates {'on' if with_browser else 'off'}")
    for column in ("run", "sites/min", "p50", "p95", "wall"):
        table.add_column(column, justify="right")
    for label, run, rate in (("Temporal", temporal, per_min), ("direct", direct, direct_per_min)):
        s = spread(run["latencies"])
        table.add_row(
            label, f"{rate:.1f}", f"{s['p50']:.2f} s", f"{s['p95']:.2f} s", f"{run['wall_s']:.1f} s"
        )
    console.print(table)
    procs = Table(title="during the Temporal phase")
    for column in ("process", "peak RSS", "with children", "CPU"):
        procs.add_column(column, justify="right")
    for proc, data in temporal["processes"].items():
        procs.add_row(
            proc,
            f"{data['peak_rss_mb']:.0f} MB",
            f"{data['peak_tree_rss_mb']:.0f} MB",
            f"{data['cpu_s']:.1f} s",
        )
    console.print(procs)
    steps = Table(title="median step time under load")
    for column in ("step", "Temporal", "direct"):
        steps.add_column(column, justify="right")
    for key, value in temporal["steps"].items():
        steps.add_row(key, f"{value:.3f} s", f"{direct['steps'].get(key, 0.0):.3f} s")
    console.print(steps)
    for t in targets:
        console.print(
            f"{t['name']}: {t['measured']} (target {t['target']}) {'met' if t['met'] else 'missed'}"
        )


if __name__ == "__main__":
    main()
    os._exit(0)  # a process that ran Temporal clients can crash at exit (sdk-python#300)
