"""Rush orders: a rush order's time to preview with the workers idle, and under a backlog.

One private stack. First a rush order alone (a few times: the unloaded figure). Then a
backlog of normal orders submitted at once, and right behind them one rush and one normal
order; each one's time from its submission to `preview_ready`. Temporal serves the rush run's
tasks (workflow and activity) first whenever the queue has a backlog (task priority, inherited
by every activity of the run), so the rush order should stay near its unloaded time while the
normal one waits its turn. Reported: the three times and their ratios to the unloaded one.

    python -m bench.rush                 # a backlog of 50; --quick: 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
from rich.table import Table

from bench.common import (
    EXAMPLES,
    console,
    private_stack,
    ready_times,
    section,
    target,
    update_results,
    wait_status,
)
from bench.processes import ProcessSampler

# "Near the unloaded figure": a rush order under the backlog takes at most this many times
# its time alone (the machine's CPU is shared with the backlog all the same).
TARGET_RUSH_RATIO = 2.0


def order(api: httpx.Client, n: int, priority: str) -> str:
    """Create the n-th example's order with `priority` and start it; its project id."""
    form: dict[str, Any] = json.loads(EXAMPLES[n % len(EXAMPLES)].read_text())
    form["subdomain"] = f"{form['subdomain'][:40]}-r{n}-{secrets.token_hex(2)}"
    body = {
        "customer": {"name": form["business"]["name"], "email": f"rush{n}@example.com"},
        "order": {"reference": f"rush-{secrets.token_hex(6)}"},
        "name": form["business"]["name"],
        "onboarding": form,
        "start_generation": True,
        "priority": priority,
    }
    created = api.post("/api/v1/projects", json=body)
    created.raise_for_status()
    return str(created.json()["id"])


async def _step_seconds(database_url: str, project_id: str) -> dict[str, float]:
    """Each step's own run time for one order (its start to its end, not its wait in the
    queue): against the order's whole time it says whether the load slowed the work or
    kept it waiting."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT step_key, duration_seconds FROM pipeline_step WHERE project_id = $1::uuid"
            " AND duration_seconds IS NOT NULL ORDER BY step_order",
            project_id,
        )
    finally:
        await connection.close()
    return {row["step_key"]: round(float(row["duration_seconds"]), 3) for row in rows}


def alone(stack: Any, api: httpx.Client, runs: int) -> list[float]:
    times = []
    for n in range(runs):
        submitted = time.perf_counter()
        project_id = order(api, 100 + n, "rush")
        ready = asyncio.run(ready_times(stack.database_url, [project_id], 120))
        times.append(ready[project_id] - submitted)
    return times


def under_backlog(stack: Any, api: httpx.Client, backlog: int) -> dict[str, Any]:
    sampler = ProcessSampler.for_stack(stack)
    with sampler, console.status(f"a backlog of {backlog} orders, then a rush and a normal..."):
        with ThreadPoolExecutor(8) as pool:  # at once: as fast as the API takes them
            queued = list(pool.map(lambda n: order(api, 200 + n, "normal"), range(backlog)))
        submitted = {"rush": time.perf_counter()}
        rush = order(api, 300, "rush")
        submitted["normal"] = time.perf_counter()
        normal = order(api, 301, "normal")
        ready = asyncio.run(
            ready_times(stack.database_url, [rush, normal, *queued], 120 + backlog * 10)
        )
    backlog_done = max(ready[i] for i in queued) - submitted["rush"]
    steps = {
        name: asyncio.run(_step_seconds(stack.database_url, project_id))
        for name, project_id in (("rush", rush), ("normal", normal))
    }
    return {
        "rush_s": ready[rush] - submitted["rush"],
        "normal_s": ready[normal] - submitted["normal"],
        "backlog_wall_s": backlog_done,
        # How many of the backlog's orders went live before the rush order did.
        "overtaken_by_rush": sum(ready[i] > ready[rush] for i in queued),
        "processes": sampler.summary(),
        "step_seconds": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=50)
    parser.add_argument("--alone", type=int, default=3, help="runs of the rush order alone")
    parser.add_argument("--quick", action="store_true", help="a backlog of 10, one run alone")
    args = parser.parse_args()
    if args.quick:
        args.backlog, args.alone = 10, 1
    with private_stack() as (stack, _settings), stack.api_client() as api:
        for n in range(2):  # warm-up, not counted: imports, caches, the first workflows
            wait_status(api, order(api, n, "normal"), "preview_ready")
        unloaded = alone(stack, api, args.alone)
        loaded = under_backlog(stack, api, args.backlog)
    report(args.backlog, unloaded, loaded)


def report(backlog: int, unloaded: list[float], loaded: dict[str, Any]) -> None:
    base = statistics.median(unloaded)
    rush_ratio = loaded["rush_s"] / base
    normal_ratio = loaded["normal_s"] / base
    targets = [
        target(
            "rush under a backlog / rush alone",
            f"≤ {TARGET_RUSH_RATIO:g}",
            f"{rush_ratio:.2f}",
            rush_ratio <= TARGET_RUSH_RATIO,
        )
    ]
    update_results(
        "rush",
        section(
            parameters={"backlog": backlog, "alone_runs": len(unloaded), "cores": os.cpu_count()},
            n=len(unloaded) + 2,
            measures="submitted → preview_ready: rush alone; rush and normal behind a backlog",
            latency=unloaded,
            processes=loaded["processes"],
            targets=targets,
            rush_alone_s=base,
            rush_under_backlog_s=loaded["rush_s"],
            normal_under_backlog_s=loaded["normal_s"],
            backlog_wall_s=loaded["backlog_wall_s"],
            backlog_orders_live_after_the_rush=loaded["overtaken_by_rush"],
            ratios={"rush": rush_ratio, "normal": normal_ratio},
            step_seconds_under_backlog=loaded["step_seconds"],
        ),
    )
    table = Table(title=f"time to preview, backlog of {backlog} normal orders")
    for column in ("order", "seconds", "ratio to alone"):
        table.add_column(column, justify="right")
    table.add_row("rush, alone (median)", f"{base:.2f}", "1.00")
    table.add_row("rush, behind the backlog", f"{loaded['rush_s']:.2f}", f"{rush_ratio:.2f}")
    table.add_row("normal, behind the backlog", f"{loaded['normal_s']:.2f}", f"{normal_ratio:.2f}")
    console.print(table)
    console.print(
        f"{loaded['overtaken_by_rush']} of the {backlog} backlog orders went live after the rush "
        f"order; the backlog took {loaded['backlog_wall_s']:.1f} s"
    )
    for t in targets:
        verdict = "met" if t["met"] else "missed"
        console.print(f"{t['name']}: {t['measured']} (target {t['target']}) {verdict}")


if __name__ == "__main__":
    main()
    os._exit(0)  # a process that ran Temporal clients can crash at exit (sdk-python#300)
