"""Order → preview with Claude's thinking time: the pipeline on the Anthropic adapter, against
the local Messages API fake answering after a latency drawn per request.

The offline AI answers in milliseconds, so the other scenarios measure the machinery; an
agency's orders wait on the model. Here every request waits `lo` to `hi` seconds (uniform,
seeded): documents and the layout in the lower half, page copy and patches (long outputs) in
the upper half. Reported: API call → preview answers 200, p50/p95, and the share of that
time some AI request was in flight (the union of request intervals, so parallel pages count
once). Orders run one after another, each on its own project.

    make bench            # or: python -m bench.realistic_ai --orders 10 (or --quick)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from typing import Any

import httpx
from rich.table import Table

from bench.common import (
    RESULTS,
    console,
    new_order,
    percentile,
    private_stack,
    section,
    update_results,
    wait_for_preview,
)
from sitegen.settings import REPO_ROOT
from tests.fakes.anthropic import KEY, FakeAnthropic

# Long outputs: a page's copy, a whole patch.
HEAVY = {"submit_page_content", "submit_code_patch", "submit_site_revision"}


class LatencyModel:
    def __init__(self, lo: float, hi: float, seed: int) -> None:
        self.lo, self.hi, self.mid = lo, hi, (lo + hi) / 2
        self.random = random.Random(seed)
        self.lock = threading.Lock()  # the fake answers requests on several threads

    def __call__(self, body: dict[str, Any]) -> float:
        tool = body.get("tool_choice", {}).get("name", "")
        low, high = (self.mid, self.hi) if tool in HEAVY else (self.lo, self.mid)
        with self.lock:
            return self.random.uniform(low, high)


def busy_seconds(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """How long at least one interval was open within [start, end]."""
    total, open_until = 0.0, start
    for a, b in sorted(intervals):
        a, b = max(a, open_until), min(b, end)
        if b > a:
            total += b - a
            open_until = b
    return total


def one_order(api: httpx.Client, fake: FakeAnthropic, preview_url: Any, n: int) -> dict[str, Any]:
    project_id, form = new_order(api, n)
    url = preview_url(form["subdomain"])
    started_wall = time.monotonic()
    started = time.perf_counter()
    api.post(f"/api/v1/projects/{project_id}/generate").raise_for_status()
    serving = wait_for_preview(api, project_id, url, started, 300, n)
    ai = busy_seconds(list(fake.intervals), started_wall, started_wall + serving)
    costs = api.get(f"/api/v1/projects/{project_id}/costs").json()
    return {
        "example": form["example"],
        "to_preview_200_s": serving,
        "waiting_on_ai_s": ai,
        "ai_requests": costs["calls"],
        "cost_usd": costs["spent_usd"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="orders run first, not counted")
    parser.add_argument("--latency", default="2-8", help="seconds per AI request, lo-hi")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="a short run: 3 orders, 1 warmup")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.warmup = 3, 1
    lo, hi = (float(x) for x in args.latency.split("-", 1))

    fake = FakeAnthropic(latency_for=LatencyModel(lo, hi, args.seed))
    runs: list[dict[str, Any]] = []
    with fake.running():
        # The stack's processes read these like any SITEGEN_* setting.
        os.environ.update(
            SITEGEN_AI_PROVIDER="anthropic",
            SITEGEN_ANTHROPIC_API_KEY=KEY,
            SITEGEN_ANTHROPIC_BASE_URL=fake.url,
        )
        with (
            private_stack() as (stack, settings),
            stack.api_client() as api,
        ):
            for n in range(args.warmup):
                one_order(api, fake, settings.preview_url, n)
            for n in range(args.orders):
                runs.append(one_order(api, fake, settings.preview_url, args.warmup + n))
                last = runs[-1]
                console.print(
                    f"order {n + 1:2d}/{args.orders}: {last['to_preview_200_s']:.1f} s, "
                    f"{last['waiting_on_ai_s']:.1f} s on the AI ({last['example']})"
                )
    report(runs, args, lo, hi)


def report(runs: list[dict[str, Any]], args: argparse.Namespace, lo: float, hi: float) -> None:
    serving = [r["to_preview_200_s"] for r in runs]
    shares = [r["waiting_on_ai_s"] / r["to_preview_200_s"] for r in runs]
    result = {
        "to_preview_200_s": {"p50": statistics.median(serving), "p95": percentile(serving, 0.95)},
        "waiting_on_ai_share": {"p50": statistics.median(shares), "max": max(shares)},
        "ai_requests_p50": statistics.median(r["ai_requests"] for r in runs),
    }
    update_results(
        "realistic_ai",
        section(
            parameters={
                "orders": len(runs),
                "warmup": args.warmup,
                "ai_latency_s": {"lo": lo, "hi": hi, "seed": args.seed},
            },
            n=len(runs),
            measures=f"API call → preview answers 200, {lo:g} to {hi:g} s per AI request",
            latency=serving,
            runs=runs,
            **result,
        ),
    )
    table = Table(
        title=f"order → preview with {lo:g} to {hi:g} s per AI request, {len(runs)} orders"
    )
    table.add_column("measure")
    table.add_column("p50", justify="right")
    table.add_column("p95 / max", justify="right")
    table.add_row(
        "API call → preview answers 200",
        f"{result['to_preview_200_s']['p50']:.1f} s",
        f"{result['to_preview_200_s']['p95']:.1f} s",
    )
    table.add_row(
        "share of it waiting on the AI",
        f"{result['waiting_on_ai_share']['p50']:.0%}",
        f"{result['waiting_on_ai_share']['max']:.0%}",
    )
    console.print(table)
    console.print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
    os._exit(0)
