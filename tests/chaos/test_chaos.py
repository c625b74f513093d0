"""The chaos suite (`make chaos`): orders pushed through their whole life while workers are
SIGKILLed at the worst moments, Postgres is stopped for 30 s, the Temporal server is killed
and restarted, and the asset host fails. Afterwards everything must be delivered, every side
effect done exactly once, and every history must replay.

Seeded: `SITEGEN_CHAOS_SEED=<n> make chaos` runs the same faults again. `SITEGEN_CHAOS_ORDERS`
sets the number of orders (20).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from rich.table import Table

from sitegen.api.app import create_app
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.temporal_client import connect
from tests.chaos.checks import Findings, check_histories, check_repositories, check_rows
from tests.chaos.cluster import Cluster, cluster
from tests.chaos.scenario import POSTGRES_OUTAGE_SECONDS, Chaos, Report
from tests.conftest import ADMIN_HEADERS

pytestmark = pytest.mark.chaos


@pytest.fixture
def chaos_cluster(tmp_path: Path) -> Iterator[Cluster]:
    with cluster(tmp_path) as running:
        yield running


def table(report: Report, found: Findings, wall: float) -> Table:
    out = Table(title=f"chaos run, seed {report.seed}", title_justify="left")
    out.add_column("measure")
    out.add_column("value", justify="right")
    out.add_row("orders", str(report.orders))
    out.add_row("delivered", str(len(report.projects)))
    for fault, count in sorted(report.faults.items()):
        out.add_row(f"fault: {fault}", str(count))
    out.add_row("duplicates found", str(len(found.duplicates)))
    out.add_row("lost", str(len(found.lost)))
    out.add_row("other problems", str(len(found.other)))
    out.add_row("histories replayed", str(found.histories))
    out.add_row("wall time", f"{wall:.0f} s")
    return out


async def test_nothing_is_lost_or_done_twice_under_faults(chaos_cluster: Cluster) -> None:
    seed = int(os.environ.get("SITEGEN_CHAOS_SEED") or random.SystemRandom().randrange(1, 10**6))
    orders = int(os.environ.get("SITEGEN_CHAOS_ORDERS", "20"))
    console = Console(width=100)
    console.print(f"chaos seed {seed} (SITEGEN_CHAOS_SEED={seed} repeats this run)")
    started = time.monotonic()
    app = create_app(chaos_cluster.settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://chaos",
            headers=ADMIN_HEADERS,
            timeout=60,
        ) as api,
    ):
        chaos = Chaos(chaos_cluster, api, seed, orders)
        report = await chaos.run()
    wall = time.monotonic() - started

    settings = chaos_cluster.settings
    found = Findings()
    check_repositories(settings, report.projects, found)
    engine = make_engine(chaos_cluster.postgres.url)
    try:
        await check_rows(make_sessionmaker(engine), report.projects, seed, found)
    finally:
        await engine.dispose()
    await check_histories(await connect(settings), report.projects, found)

    console.print(table(report, found, wall))
    for line in report.timeline:
        console.print(line)
    for problem in found.duplicates + found.lost + found.other:
        console.print(f"[red]{problem}[/]")
    kills = sum(n for fault, n in report.faults.items() if fault.startswith("worker"))
    assert kills >= 5, report.faults
    assert chaos.pending_failpoints == [], f"failpoints never reached: {chaos.pending_failpoints}"
    assert report.faults[f"Postgres down {POSTGRES_OUTAGE_SECONDS} s"] == 1
    assert report.faults["Temporal server killed and restarted"] == 1
    assert report.faults["asset host 500/429 answers"] >= 8, report.faults
    assert len(report.projects) == orders
    assert found.clean, f"seed {seed}: {found}"
