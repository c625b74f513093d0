"""Cancel at any point: the run stops its work in flight, waits for it, takes the preview
down, and only then reads cancelled. Nothing lands after that."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.api.app import create_app
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.conftest import ADMIN_HEADERS, unique_onboarding
from tests.pipeline.helpers import (
    notifications,
    order_site,
    slow_template,
    wait_status,
    wait_step,
    waiting_for_correction,
)

SLOW_BUILD_SECONDS = 30


@pytest.fixture
async def slow(
    settings: Settings, engine: AsyncEngine, temporal: Client, tmp_path: Path
) -> AsyncIterator[tuple[Settings, httpx.AsyncClient]]:
    slow_settings = settings.model_copy(
        update={"templates_dir": slow_template(tmp_path / "templates", SLOW_BUILD_SECONDS)}
    )
    app = create_app(slow_settings)
    clients = build_clients(slow_settings, engine)
    async with (
        build_worker(temporal, clients, slow_settings, slow_settings.task_queue),
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as api,
    ):
        yield slow_settings, api


async def side_effects(
    settings: Settings, sessions: Any, project: dict[str, Any]
) -> tuple[Any, ...]:
    slug = project["slug"]
    deploys = settings.sites_root / slug / "deploys"
    commits = 0
    if (settings.repos_root / f"{slug}.git").is_dir():
        git = LocalGit(settings.repos_root, settings.work_root / "git-count")
        commits = await git.count_commits(slug, "preview")
    return (
        sorted(p.name for p in deploys.iterdir()) if deploys.is_dir() else [],
        commits,
        sorted(n.kind for n in await notifications(sessions, project["id"])),
    )


@pytest.mark.usefixtures("worker")
async def test_cancel_while_waiting_for_the_onboarding_correction(
    api: httpx.AsyncClient, settings: Settings, sessions: Any
) -> None:
    created = await waiting_for_correction(api, sessions, unique_onboarding("harbour-physio"))
    assert (await api.post(f"/api/v1/projects/{created['id']}/cancel", json={})).status_code == 202
    project = await wait_status(api, created["id"], ("cancelled",))
    assert project["waiting_for"] is None
    assert await side_effects(settings, sessions, created) == ([], 0, [])


@pytest.mark.chaos  # a build cut down mid-run, then waited on for stray writes: `make chaos`
async def test_cancel_mid_build_stops_the_build_and_nothing_lands_after(
    slow: tuple[Settings, httpx.AsyncClient], sessions: Any
) -> None:
    settings, api = slow
    created = await order_site(api, unique_onboarding("ironbark-software"))
    await wait_step(sessions, created["id"], "build_and_test", "running", seconds=60)
    started = asyncio.get_running_loop().time()
    assert (await api.post(f"/api/v1/projects/{created['id']}/cancel", json={})).status_code == 202
    await wait_status(api, created["id"], ("cancelled",), seconds=40)
    # The build was stopped, not waited out.
    assert asyncio.get_running_loop().time() - started < SLOW_BUILD_SECONDS
    after_cancel = await side_effects(settings, sessions, created)
    assert after_cancel[0] == [] and after_cancel[2] == []  # no deploy, no "preview ready"
    steps = {
        s["step_key"]: s
        for s in (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    }
    assert steps["build_and_test"]["status"] == "skipped"
    assert steps["build_and_test"]["error_message"] == "cancelled"
    assert steps["deploy_preview"]["status"] == "queued"
    await asyncio.sleep(3)  # anything still in flight would land now
    assert await side_effects(settings, sessions, created) == after_cancel
