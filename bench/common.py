"""What the benchmark scenarios share: a private stack, an order, percentiles, the results file.

Each scenario starts its own stack on free ports and a fresh data dir, so one never measures
the other's leftovers, and neither touches a `sitegen dev` the user has running.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from rich.console import Console

from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.process import free_port
from sitegen.stack.supervisor import Stack

EXAMPLES = sorted((REPO_ROOT / "examples" / "onboarding").glob("*.json"))
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
console = Console()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: with 20 samples p95 is the 19th, an observed value."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "max": max(values),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def private_stack() -> Iterator[tuple[Stack, Settings]]:
    """A whole stack (no Temporal UI: it would only take CPU) on free ports, then stopped."""
    data_dir = Path(tempfile.mkdtemp(prefix="sitegen-bench-"))
    os.environ["SITEGEN_LOG_LEVEL"] = "WARNING"  # before the settings read it
    settings = Settings(
        data_dir=data_dir,
        api_port=free_port(),
        hosting_port=free_port(),
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        postgres_port=free_port(),
        database_url=None,
        temporal_address=None,
    )
    stack = Stack(settings, ui=False)
    with console.status("starting a private stack..."):
        stack.start()
    try:
        yield stack, settings
    finally:
        stack.stop()


def new_order(api: httpx.Client, n: int, start: bool = False) -> tuple[str, dict[str, Any]]:
    """Create a project from the n-th example (rotating) on a subdomain of its own; its id
    and the form. `start` also starts generation in the same call."""
    path = EXAMPLES[n % len(EXAMPLES)]
    form: dict[str, Any] = json.loads(path.read_text())
    form["subdomain"] = f"{form['subdomain'][:40]}-b{n}-{secrets.token_hex(2)}"
    body = {
        "customer": {"name": form["business"]["name"], "email": f"bench{n}@example.com"},
        "order": {"reference": f"bench-{secrets.token_hex(6)}"},
        "template_id": "landing",
        "name": form["business"]["name"],
        "onboarding": form,
        "start_generation": start,
    }
    created = api.post("/api/v1/projects", json=body)
    created.raise_for_status()
    form["example"] = path.stem
    return str(created.json()["id"]), form


def wait_status(
    api: httpx.Client, project_id: str, wanted: str, timeout: float = 120
) -> dict[str, Any]:
    """Poll the project until it reads `wanted`; a project that needs a human is an error."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        project: dict[str, Any] = api.get(f"/api/v1/projects/{project_id}").json()
        if project["status"] == wanted:
            return project
        if project["status"] in ("needs_attention", "cancelled"):
            raise RuntimeError(f"project {project_id} ended {project['status']}")
        time.sleep(0.02)
    raise RuntimeError(f"project {project_id} did not reach {wanted} in {timeout:g} s")


def wait_for_preview(
    api: httpx.Client, project_id: str, url: str, started: float, timeout: float, n: int
) -> float:
    """Seconds from `started` (perf_counter) until the preview at `url` answers 200. The
    cheap static preview is polled, the API only every 25 polls (a failed order would
    otherwise be noticed only at the deadline), so measuring takes little CPU from the run."""
    from sitegen.integrations.hosting.probe import get_preview

    deadline = started + timeout
    polls = 0
    while time.perf_counter() < deadline:
        try:
            if get_preview(url, timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        polls += 1
        if polls % 25 == 0:
            status = api.get(f"/api/v1/projects/{project_id}").json()["status"]
            if status in ("needs_attention", "cancelled"):
                raise RuntimeError(f"order {n} ended {status}")
        time.sleep(0.02)
    raise RuntimeError(f"order {n} did not finish in {timeout:g} s")


def git_sha() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def target(name: str, wanted: str, measured: str, met: bool) -> dict[str, Any]:
    """One target of the issue, as the table and the note show it."""
    return {"name": name, "target": wanted, "measured": measured, "met": met}


def section(
    *,
    parameters: dict[str, Any],
    n: int,
    measures: str,
    latency: list[float] | None = None,
    throughput_per_min: float | None = None,
    processes: dict[str, Any] | None = None,
    targets: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A scenario's results in the shape every scenario shares (the table reads these keys);
    `measures` says what the latency is from and to; `extra` is the scenario's own detail."""
    return {
        "parameters": parameters,
        "n": n,
        "measures": measures,
        "latency_s": spread(latency) if latency else None,
        "throughput_per_min": throughput_per_min,
        "processes": processes or {},
        "targets": targets or [],
        "measured_at": now(),
        # Other work on a shared machine takes CPU from the run: this says how much.
        "load_average_1min": round(os.getloadavg()[0], 2),
        **extra,
    }


def update_results(scenario: str, fields: dict[str, Any]) -> None:
    """Put one scenario's section into latest.json, keeping the others', so that any can be
    rerun alone; the sha, date and machine are the latest run's."""
    results: dict[str, Any] = {}
    if RESULTS.exists():
        try:
            results = json.loads(RESULTS.read_text())
        except json.JSONDecodeError:
            results = {}  # a half-written file from an interrupted run: start over
    kept = results.get("scenarios")
    scenarios: dict[str, Any] = kept if isinstance(kept, dict) else {}
    scenarios[scenario] = fields
    results = {
        "git_sha": git_sha(),
        "measured_at": now(),
        "machine": machine(),
        "scenarios": scenarios,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


async def ready_times(
    database_url: str, ids: list[str], within: float, poll: float = 0.05
) -> dict[str, float]:
    """perf_counter time at which each project was first seen `preview_ready`, polling the
    database directly (the API would spend the CPU being measured answering the poll)."""
    seen: dict[str, float] = {}
    connection = await asyncpg.connect(database_url)
    try:
        deadline = time.perf_counter() + within
        while len(seen) < len(ids):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(ids) - len(seen)} orders not live in {within:g} s")
            rows = await connection.fetch(
                "SELECT id::text, status FROM project WHERE id = ANY($1::uuid[])", ids
            )
            now = time.perf_counter()
            for row in rows:
                if row["status"] == "preview_ready":
                    seen.setdefault(row["id"], now)
                elif row["status"] in ("needs_attention", "cancelled"):
                    raise RuntimeError(f"order {row['id']} ended {row['status']}")
            await asyncio.sleep(poll)
    finally:
        await connection.close()
    return seen
