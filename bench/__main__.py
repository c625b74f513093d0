"""`python -m bench [SCENARIO ...] [--quick]`: the scenarios one after another, then the table.

Each scenario runs in a process of its own, on a stack of its own (a scenario never measures
another's leftovers, and a crashed one does not stop the rest), and merges its section into
bench/results/latest.json; the table (bench/results/latest.md, and the README's copy) is
written from that file at the end.

    make bench                              # every scenario at full size
    make bench BENCH_ARGS=--quick           # every scenario, each in under a minute
    python -m bench throughput --quick      # one scenario
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import console
from bench.report import write_report

# Name → module, in the order; realistic_ai is the pipeline against a slow model.
SCENARIOS = {
    "sequential": "bench.order_to_preview",
    "throughput": "bench.throughput",
    "overhead": "bench.activity_overhead",
    "revision": "bench.revision_to_preview",
    "api_load": "bench.api_load",
    "scale": "bench.scale",
    "realistic_ai": "bench.realistic_ai",
    "rush": "bench.rush",
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmark scenarios.")
    parser.add_argument("scenarios", nargs="*", help=f"any of: {', '.join(SCENARIOS)}")
    parser.add_argument("--quick", action="store_true", help="each scenario in under a minute")
    args = parser.parse_args()
    chosen = args.scenarios or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r} (choose from {', '.join(SCENARIOS)})")
    failed: list[str] = []
    for name in chosen:
        console.rule(f"[bold]{name}")
        started = time.monotonic()
        argv = [sys.executable, "-m", SCENARIOS[name], *(["--quick"] if args.quick else [])]
        if subprocess.run(argv).returncode != 0:
            failed.append(name)
        console.print(f"{name}: {time.monotonic() - started:.0f} s")
    write_report()
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
