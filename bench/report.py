"""The benchmark table: bench/results/latest.json → latest.md, and the README's copy of it.

python -m bench.report      # after running scenarios one by one
"""

from __future__ import annotations

import json
import re
from typing import Any

from bench.common import RESULTS, console
from sitegen.settings import REPO_ROOT

TABLE = RESULTS.with_suffix(".md")
README = REPO_ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PROCESS_ORDER = ("worker", "api", "temporal", "postgres")


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _rss(processes: dict[str, Any]) -> str:
    parts = []
    for name in PROCESS_ORDER:
        if name in processes:
            parts.append(f"{name} {processes[name]['peak_rss_mb']:.0f}")
    return " · ".join(parts) + " MB" if parts else ""


def _row(name: str, data: dict[str, Any]) -> str:
    latency = data.get("latency_s") or {}
    cells = [
        name,
        str(data.get("measures", "")),
        str(data.get("n", "")),
        *(_seconds(latency[k]) if k in latency else "" for k in ("p50", "p95", "max")),
        f"{data['throughput_per_min']:.1f}/min" if data.get("throughput_per_min") else "",
        _rss(data.get("processes") or {}),
    ]
    return "| " + " | ".join(cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    lines = [
        f"Measured {results.get('measured_at', '?')} at `{results.get('git_sha', '?')}` on "
        f"{machine.get('cpu_model', '?')}, {machine.get('cpus', '?')} cores, "
        f"{machine.get('memory_gb', '?')} GB, Python {machine.get('python', '?')}.",
        "",
        "| scenario | measures | n | p50 | p95 | max | throughput | peak RSS |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    scenarios: dict[str, Any] = results.get("scenarios", {})
    for name, data in scenarios.items():
        lines.append(_row(name, data))
    targets = [(name, t) for name, data in scenarios.items() for t in data.get("targets", [])]
    if targets:
        lines += ["", "| target | wanted | measured | met |", "|---|---|---|---|"]
        for name, t in targets:
            verdict = "yes" if t["met"] else "**no**"
            lines.append(f"| {name}: {t['name']} | {t['target']} | {t['measured']} | {verdict} |")
    return "\n".join(lines) + "\n"


def write_report() -> str:
    if not RESULTS.exists():
        console.print("no results yet: run a scenario first")
        return ""
    results = json.loads(RESULTS.read_text())
    table = markdown(results)
    TABLE.write_text(table)
    readme = README.read_text()
    if START in readme and END in readme:
        block = f"{START}\n{table}{END}"
        README.write_text(
            re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
        )
    console.print(f"table written to {TABLE.relative_to(REPO_ROOT)} and the README")
    return table


if __name__ == "__main__":
    write_report()
