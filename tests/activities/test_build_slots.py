"""A worker runs at most SITEGEN_BUILD_CONCURRENCY builds at once: the others wait their turn
(their step's heartbeat going on) instead of sharing the cores until builds and browsers run
past their time limits, and each still ends with its own report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.activities.build import BuildActivities
from sitegen.integrations.browser.contrast import ContrastChecker, ContrastReport
from sitegen.integrations.browser.screenshots import Screenshotter, Skipped
from sitegen.settings import Settings
from tests.activities.build_support import built_site


class CountingGate(ContrastChecker):
    """A gate that takes a while and counts how many builds are inside it at once."""

    def __init__(self, work: Path) -> None:
        super().__init__(None, work)
        self.inside = 0
        self.most = 0

    async def check(self, dist: Path) -> ContrastReport | Skipped:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(0.3)
        self.inside -= 1
        return ContrastReport(findings=[], pages=1, viewports=["desktop"], checked=1)


@pytest.mark.usefixtures("worker")
async def test_builds_beyond_the_slots_wait_their_turn(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
) -> None:
    created, clients, build_input = await built_site(api, settings, engine, temporal)
    browser = Screenshotter("", settings.work_root / "screenshots")

    for slots, version in ((1, 70), (2, 80)):
        gate = CountingGate(settings.work_root / "contrast")
        build = BuildActivities(
            clients.sessions,
            clients.git,
            clients.storage,
            clients.runner,
            settings.templates_dir,
            settings.work_root,
            browser,
            gate,
            concurrency=slots,
        )
        builds = [
            ActivityEnvironment().run(
                build.build_and_test,
                build_input(version + n),
            )
            for n in range(4)
        ]
        outcomes = await asyncio.gather(*builds)
        assert all(o.ok for o in outcomes)
        assert gate.most == slots, f"{gate.most} builds at once with {slots} slot(s)"
        reports = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()
        assert {version + n for n in range(4)} <= {r["version"] for r in reports}
