"""Scenario 4, where the orchestration time goes: chains of activities that do nothing, run
one after another against a fresh Temporal dev server, so a run's length divided by its
length is what the orchestration costs per activity, first on a fresh server and then once
it has settled. Each variant gets a server of its own (same binary, same options as the stack
but for what the variant changes) and a worker in this process; local activities are run
alongside as the floor. CPU seconds of the server and of this process per activity say
whether a slow activity is work or waiting.

    python -m bench.activity_overhead                 # every variant, 60 s each
    python -m bench.activity_overhead --quick         # 6 s each
    python -m bench.activity_overhead --variant as_shipped --seconds 120
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from rich.table import Table
from temporalio.client import Client
from temporalio.worker import Worker

from bench.chain_workflow import Chain, ChainWorkflow, nothing
from bench.common import console, section, target, update_results
from sitegen.stack.process import free_port
from sitegen.stack.temporal import DEV_SERVER_TUNING, TemporalDevServer

TASK_QUEUE = "chain"
LENGTH = 20  # activities per workflow


@dataclass
class Variant:
    name: str
    what: str
    tuned: bool = True  # the dev server's tuning as the stack ships it
    server_args: list[str] = field(default_factory=list)
    worker: dict[str, Any] = field(default_factory=dict)


ONE_PARTITION = [
    "--dynamic-config-value",
    "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value",
    "matching.numTaskqueueWritePartitions=1",
]
NO_EAGER = {"disable_eager_activity_execution": True}

VARIANTS = {
    v.name: v
    for v in (
        Variant("untuned", "the dev server's defaults (the stack before its tuning)", False),
        Variant("as_shipped", "the dev server as the stack starts it"),
        Variant(
            "untuned_no_eager",
            "defaults, and each activity task through matching (no eager dispatch)",
            False,
            worker=NO_EAGER,
        ),
        Variant(
            "as_shipped_no_eager",
            "as shipped, each activity task through matching",
            worker=NO_EAGER,
        ),
        Variant(
            "untuned_one_partition", "defaults, one task queue partition", False, ONE_PARTITION
        ),
        Variant(
            "untuned_one_poller",
            "defaults, one activity poller",
            False,
            worker={"max_concurrent_activity_task_polls": 1},
        ),
    )
}


class _Server(TemporalDevServer):
    def __init__(self, data_dir: Path, variant: Variant) -> None:
        super().__init__(data_dir, free_port(), None, "default")
        self.variant = variant

    def argv(self) -> list[str]:
        argv = super().argv()
        if not self.variant.tuned:  # the shipped tuning taken out again
            for key_value in DEV_SERVER_TUNING:
                at = argv.index(key_value)
                del argv[at - 1 : at + 1]
        return argv + self.variant.server_args


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def run_variant(variant: Variant, seconds: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="sitegen-bench-overhead-"))
    server = _Server(data_dir, variant)
    server.start()
    try:
        assert server.child is not None and server.child.pid is not None
        server_process = psutil.Process(server.child.pid)
        client = await Client.connect(server.address)
        worker = Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[ChainWorkflow],
            activities=[nothing],
            max_concurrent_activities=20,
            **variant.worker,
        )
        own = psutil.Process()
        runs: list[dict[str, Any]] = []
        async with worker:
            began = time.perf_counter()
            cpu_server, cpu_own = _cpu(server_process), _cpu(own)
            n = 0
            while time.perf_counter() - began < seconds:
                local = n % 4 == 3  # every fourth run is the local-activity floor
                started = time.perf_counter()
                await client.execute_workflow(
                    ChainWorkflow.run,
                    Chain(LENGTH, local),
                    id=f"chain-{uuid.uuid4().hex[:12]}",
                    task_queue=TASK_QUEUE,
                )
                took = time.perf_counter() - started
                runs.append(
                    {
                        "at_s": round(started - began, 2),
                        "local": local,
                        "ms_per_activity": round(1000 * took / LENGTH, 2),
                    }
                )
                n += 1
            activities = LENGTH * len(runs)
            cpu = {
                "server_ms_per_activity": 1000 * (_cpu(server_process) - cpu_server) / activities,
                "worker_ms_per_activity": 1000 * (_cpu(own) - cpu_own) / activities,
            }
    finally:
        server.stop()
    regular = [r for r in runs if not r["local"]]
    late = [r["ms_per_activity"] for r in regular if r["at_s"] >= 0.6 * seconds]
    return {
        "what": variant.what,
        "runs": len(runs),
        "fresh_ms": statistics.median(r["ms_per_activity"] for r in regular[:3]),
        "settled_ms": statistics.median(late or [r["ms_per_activity"] for r in regular]),
        "local_ms": statistics.median(r["ms_per_activity"] for r in runs if r["local"]),
        **{k: round(v, 2) for k, v in cpu.items()},
        "timeline": _timeline(regular, seconds),
    }


def _timeline(regular: list[dict[str, Any]], seconds: float) -> list[dict[str, float]]:
    """The median per activity in each tenth of the window: when it settles, and where."""
    width = seconds / 10
    buckets: dict[int, list[float]] = {}
    for run in regular:
        buckets.setdefault(int(run["at_s"] // width), []).append(run["ms_per_activity"])
    return [
        {"from_s": round(i * width, 1), "ms": round(statistics.median(v), 2)}
        for i, v in sorted(buckets.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="each variant runs this long")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    parser.add_argument("--quick", action="store_true", help="6 s a variant")
    args = parser.parse_args()
    seconds = 6.0 if args.quick else args.seconds
    chosen = args.variant or list(VARIANTS)

    results: dict[str, dict[str, Any]] = {}
    for name in chosen:
        with console.status(f"{name}: {seconds:g} s of chains of {LENGTH} activities"):
            results[name] = asyncio.run(run_variant(VARIANTS[name], seconds))

    table = Table(title=f"Per activity, chains of {LENGTH} (ms)")
    for column in ("variant", "fresh", "settled", "local", "server CPU", "worker CPU", "runs"):
        table.add_column(column, justify="left" if column == "variant" else "right", no_wrap=True)
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['fresh_ms']:.1f}",
            f"{r['settled_ms']:.1f}",
            f"{r['local_ms']:.1f}",
            f"{r['server_ms_per_activity']:.1f}",
            f"{r['worker_ms_per_activity']:.1f}",
            str(r["runs"]),
        )
    console.print(table)

    targets = []
    if "untuned" in results and "as_shipped" in results:
        before, after = results["untuned"]["settled_ms"], results["as_shipped"]["settled_ms"]
        targets.append(
            target(
                "settled per-activity overhead, shipped / untuned",
                "lower",
                f"{after:.1f} ms / {before:.1f} ms",
                after < before,
            )
        )
    update_results(
        "overhead",
        section(
            parameters={"seconds": seconds, "chain_length": LENGTH, "variants": chosen},
            n=sum(r["runs"] for r in results.values()),
            measures="per activity: a chain's run time / its length",
            targets=targets,
            variants=results,
        ),
    )


if __name__ == "__main__":
    main()
