"""API under load: GET a project and its pipeline, at a fixed rate, with many projects stored.

Issue 12, scenario 6: `GET /api/v1/projects/{id}` and `/pipeline`, alternately, over random
projects out of 1,000, from a load generator in another process (bench/load_generator.py),
open-loop at 500 requests/s for 20 s on keep-alive connections. Latency runs from each
request's scheduled send to the last byte of its answer. Target: p99 ≤ 25 ms, no errors.

The projects are made through the API (start_generation false); a few are generated through
the workflow, and their pipeline_step rows are copied to every other project in SQL, so each
/pipeline answer is a real run's dozen steps, not an empty list.

No setting is changed for the run: the API's rate limits (sitegen/api/rate_limits.py) count
new projects per customer, revisions, AI calls and sign-ins, never reads, and each project
here has a customer of its own; the generator signs in with the stack's own admin API key.

    python -m bench.api_load [--quick] [--rate 500] [--seconds 20] [--projects 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from rich.table import Table

from bench.common import (
    RESULTS,
    console,
    new_order,
    percentile,
    private_stack,
    section,
    target,
    update_results,
    wait_status,
)
from bench.load_generator import Outcome, Plan, in_subprocess
from bench.processes import ProcessSampler
from sitegen.db.tables import PipelineStep
from sitegen.settings import REPO_ROOT

ROUTES = ("GET /projects/{id}", "GET /projects/{id}/pipeline")
TARGET_P99_S = 0.025
TARGET_RATE = 500


def make_projects(api: httpx.Client, count: int, generated: int) -> tuple[list[str], list[str]]:
    """`count` projects, of which the first `generated` went through the whole pipeline."""
    started = [new_order(api, n, start=True)[0] for n in range(generated)]
    with ThreadPoolExecutor(4) as pool:  # the API takes several at once; 4 keeps it brisk
        rest = list(pool.map(lambda n: new_order(api, n)[0], range(generated, count)))
    for project_id in started:
        wait_status(api, project_id, "preview_ready", timeout=300)
    return started, rest


def copy_steps(database_url: str, sources: list[str], targets: list[str]) -> int:
    """Each target gets the step rows of a generated project (round robin); rows copied."""
    columns = [c.name for c in PipelineStep.__table__.columns if c.name not in ("id", "project_id")]  # type: ignore[attr-defined]
    names = ", ".join(columns)
    sql = (
        f"INSERT INTO pipeline_step (project_id, {names}) "
        f"SELECT t.id, {names} FROM pipeline_step s "
        "JOIN unnest($1::uuid[], $2::uuid[]) AS t(id, source) ON s.project_id = t.source"
    )

    async def run() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            pairs = [sources[i % len(sources)] for i in range(len(targets))]
            status = await conn.execute(sql, targets, pairs)
            await conn.execute("ANALYZE")  # as autovacuum would have by now in a live database
            return int(status.split()[-1])
        finally:
            await conn.close()

    return asyncio.run(run())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summarise(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="requests a second")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3, help="seconds sent first, not counted")
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument(
        "--generated", type=int, default=5, help="projects run through the pipeline"
    )
    parser.add_argument("--connections", type=int, default=64, help="most keep-alive connections")
    parser.add_argument("--quick", action="store_true", help="200 projects, 5 s (and 1 s warmup)")
    args = parser.parse_args()
    if args.quick:
        args.projects, args.seconds, args.warmup, args.generated = 200, 5, 1, 2

    with private_stack() as (stack, _settings), stack.api_client(timeout=60) as api:
        made_at = time.perf_counter()
        with console.status(f"creating {args.projects} projects..."):
            generated, rest = make_projects(api, args.projects, args.generated)
            copied = copy_steps(stack.database_url, generated, rest)
        made_s = time.perf_counter() - made_at
        console.print(f"{args.projects} projects, {copied} step rows copied, in {made_s:.1f} s")
        ids = generated + rest
        url = urlsplit(stack.api_url)
        plan = Plan(
            host=url.hostname or "127.0.0.1",
            port=url.port or 80,
            headers={"Authorization": str(api.headers["Authorization"])},
            paths=[
                [f"/api/v1/projects/{i}" for i in ids],
                [f"/api/v1/projects/{i}/pipeline" for i in ids],
            ],
            rate=args.rate,
            seconds=args.warmup + args.seconds,
            max_connections=args.connections,
        )
        running = f"{args.rate:g} requests/s for {args.warmup + args.seconds:g} s..."
        load_before = os.getloadavg()[0]
        with console.status(running), ProcessSampler.for_stack(stack) as sampler:
            sampled_at = time.perf_counter()
            outcome = in_subprocess(plan)
            sampled_s = time.perf_counter() - sampled_at
        processes = sampler.summary()
        for spent in processes.values():
            spent["cores"] = round(spent["cpu_s"] / sampled_s, 2)  # from start to last answer
        # Other work on the machine takes CPU from the run: its load says how much.
        load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    report(outcome, args, processes, copied, load)


def report(
    outcome: Outcome,
    args: argparse.Namespace,
    processes: dict[str, Any],
    copied: int,
    load: tuple[float, float],
) -> None:
    skip = round(args.rate * args.warmup)  # the warm-up's requests are not counted
    n = len(outcome.latency) - skip
    measured = range(skip, len(outcome.latency))
    ok = [i for i in measured if 200 <= outcome.status[i] < 300]
    errors = n - len(ok)
    # Every request counts in the latency, an error at the time it failed.
    latency = [outcome.latency[i] for i in measured]
    overall = summarise(latency)
    per_route = {
        name: summarise([outcome.latency[i] for i in measured if outcome.route[i] == r])
        for r, name in enumerate(ROUTES)
    }
    service = summarise([outcome.service[i] for i in ok])
    late = summarise([outcome.dispatch_late[i] for i in measured])
    # Achieved: answered requests over the span from the first one due to the last answer.
    span = max(i / args.rate + outcome.latency[i] for i in measured) - skip / args.rate
    achieved = len(ok) / span if span else 0.0
    p99 = overall["p99"]
    met = p99 <= TARGET_P99_S and errors == 0 and args.rate >= TARGET_RATE
    full = args.projects >= 1000 and args.seconds >= 20
    name = f"API p99 at {args.rate:g} req/s, {args.projects:,} projects"
    result = section(
        parameters={
            "rate_per_s": args.rate,
            "seconds": args.seconds,
            "warmup_s": args.warmup,
            "projects": args.projects,
            "generated": args.generated,
            "max_connections": args.connections,
            "quick": args.quick,
        },
        n=n,
        measures="GET project / pipeline, scheduled send → last byte of the response",
        latency=latency,
        processes=processes,
        targets=[
            target(
                name,
                "≤ 25 ms, 0 errors at 500 req/s, 1,000 projects, 20 s",
                f"{p99 * 1000:.1f} ms, {errors} errors" + ("" if full else " (short run)"),
                met and full,
            )
        ],
        p99_s=p99,
        per_route=per_route,
        service_s=service,
        achieved_rate_per_s=round(achieved, 1),
        errors=errors,
        error_samples=outcome.errors,
        generator={
            "dispatch_late_s": late,
            "connections": outcome.connections,
            "cpu_s": round(outcome.cpu_s, 2),
            "cpu_ms_per_request": round(outcome.cpu_s * 1000 / len(outcome.latency), 3),
        },
        pipeline_rows_copied=copied,
        load_average_1min_around=load,  # before and after the run
    )
    update_results("api_load", result)

    table = Table(
        title=f"API under load: {args.rate:g} req/s for {args.seconds:g} s, {args.projects} projects"
    )
    table.add_column("route")
    for column in ("n", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right")
    rows = [(name, per_route[name]) for name in ROUTES] + [("all", overall)]
    for label, figures in rows:
        count = (
            n if label == "all" else sum(1 for i in measured if ROUTES[outcome.route[i]] == label)
        )
        table.add_row(label, str(count), *(ms(figures[k]) for k in ("p50", "p95", "p99", "max")))
    table.add_row(
        "(service: written → answered)",
        str(len(ok)),
        *(ms(service[k]) for k in ("p50", "p95", "p99", "max")),
    )
    console.print(table)
    console.print(
        f"achieved {achieved:.1f} req/s of {args.rate:g}; errors {errors}"
        + (f" (e.g. {outcome.errors[0]})" if outcome.errors else "")
        + f"; generator: dispatch late p99 {ms(late['p99'])}, max {ms(late['max'])}, "
        f"{outcome.connections} connections, {outcome.cpu_s * 1000 / len(outcome.latency):.2f} ms CPU a request"
    )
    cpu = ", ".join(
        f"{k} {v['cpu_s']:.1f} s ({v['cores']:.2f} cores)" for k, v in processes.items()
    )
    console.print(f"CPU over the run: {cpu}; load average {load[0]} before, {load[1]} after")
    verdict = "[green]met[/green]" if met else "[red]missed[/red]"
    console.print(f"target p99 ≤ 25 ms, 0 errors: {verdict} ({p99 * 1000:.1f} ms, {errors} errors)")
    console.print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
    os._exit(0)
