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
        f"{data['load_average_1min']:.1f}" if data.get("load_average_1min") is not None else "",
    ]
    return "| " + " | ".join(cells) + " |"


def _overhead(data: dict[str, Any]) -> list[str]:
    length = data.get("parameters", {}).get("chain_length", "?")
    lines = [
        f"Orchestration per activity (scenario 4: chains of {length} no-op activities), ms:",
        "",
        "| variant | fresh | settled | local activity | server CPU | worker CPU |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, v in data.get("variants", {}).items():
        cells = [
            f"{v[k]:.1f}"
            for k in (
                "fresh_ms",
                "settled_ms",
                "local_ms",
                "server_ms_per_activity",
                "worker_ms_per_activity",
            )
        ]
        lines.append(f"| {name}: {v['what']} | " + " | ".join(cells) + " |")
    return lines


def _scale(data: dict[str, Any]) -> list[str]:
    lines = [
        "Scale with size (scenario 7), median to a live preview:",
        "",
        "| axis | size | median | slowest steps |",
        "|---|--:|--:|---|",
    ]
    slowest = data.get("slowest_steps_s", {})
    for axis, by_size in data.get("median_s", {}).items():
        for size, value in by_size.items():
            top = slowest.get(axis, {}).get(size, {})
            steps = ", ".join(f"{k} {_seconds(v)}" for k, v in top.items())
            lines.append(f"| {axis} | {size} | {_seconds(value)} | {steps} |")
    return lines


def _direct(name: str, data: dict[str, Any]) -> list[str]:
    if "direct" not in data:  # other scenarios' ratios say what they compare themselves
        return []
    ratios = data.get("ratios") or {}
    parts = [f"{k.replace('_', ' ')} {v:.2f}" for k, v in ratios.items() if v is not None]
    return [f"{name}, Temporal / direct: " + ", ".join(parts) + "."] if parts else []


def details(scenarios: dict[str, Any]) -> list[str]:
    """What one row cannot hold: the durability ratios, the overhead per variant, sizes."""
    lines: list[str] = []
    for name, data in scenarios.items():
        block = _direct(name, data)
        if name == "overhead":
            block = _overhead(data)
        elif name == "scale":
            block = _scale(data)
        if block:
            lines += ["", *block]
    return lines


def markdown(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    lines = [
        f"Measured {results.get('measured_at', '?')} at `{results.get('git_sha', '?')}` on "
        f"{machine.get('cpu_model', '?')}, {machine.get('cpus', '?')} cores, "
        f"{machine.get('memory_gb', '?')} GB, Python {machine.get('python', '?')}.",
        "",
        "| scenario | measures | n | p50 | p95 | max | throughput | peak RSS | load |",
        "|---|---|--:|--:|--:|--:|--:|---|--:|",
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
    lines += details(scenarios)
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
