"""A passing build's screenshots come from the contrast gate's Chromium, the one browser the
build launches; a browser that crashes or hangs costs a build its screenshots, never the
build itself."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.activities.build import BuildActivities
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import PipelineStep
from sitegen.integrations.browser.chromium import png_size
from sitegen.integrations.browser.screenshots import NOT_INSTALLED, Screenshotter
from sitegen.integrations.build.runner import BuildResult, BuildRunner
from sitegen.settings import Settings
from tests.activities.build_support import built_site
from tests.pipeline.helpers import artifacts, rows


def fake_chromium(folder: Path, body: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "chromium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def count_launches(runner: BuildRunner, launches: list[list[str]]) -> None:
    """Every sandboxed run of this browser step (each one starts one Chromium)."""
    run = runner.run

    async def counted(workdir: Path, argv: list[str], *args: Any, **kwargs: Any) -> BuildResult:
        launches.append(argv)
        return await run(workdir, argv, *args, **kwargs)

    runner.run = counted  # type: ignore[method-assign]


@pytest.mark.browser
@pytest.mark.usefixtures("worker")
async def test_a_passing_build_launches_chromium_once(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
) -> None:
    if not (settings.chromium and shutil.which(settings.chromium)):
        pytest.skip(f"{NOT_INSTALLED} (or set SITEGEN_CHROMIUM to its path)")
    created, clients, build_input = await built_site(api, settings, engine, temporal)
    browser = Screenshotter(settings.chromium, settings.work_root / "screenshots")
    build = BuildActivities(
        clients.sessions,
        clients.git,
        clients.storage,
        clients.runner,
        settings.templates_dir,
        settings.work_root,
        browser,
    )
    gate: list[list[str]] = []
    shooter: list[list[str]] = []
    count_launches(build.contrast.runner, gate)
    count_launches(browser.runner, shooter)

    outcome = await ActivityEnvironment().run(build.build_and_test, build_input(70))

    assert outcome.ok, outcome
    assert len(gate) == 1 and shooter == []  # the gate's Chromium took the pictures too
    report = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()[-1]
    assert report["version"] == 70 and report["contrast"]["texts_checked"] > 0
    assert report["screenshots_skipped"] is None
    sizes = [(s["name"], s["width"], s["height"]) for s in report["screenshots"]]
    assert sizes == [("desktop", 1280, 800), ("mobile", 390, 844)]
    for shot in report["screenshots"]:
        assert png_size(await clients.storage.get(shot["key"])) == (shot["width"], shot["height"])
    indexed = await artifacts(clients.sessions, created["id"])
    assert [a.version for a in indexed if a.type == ArtifactType.PREVIEW_SCREENSHOT].count(70) == 1


@pytest.mark.usefixtures("worker")
async def test_a_broken_browser_is_a_skip_and_the_build_passes(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    sessions: Any,
    temporal: Client,
    tmp_path: Path,
) -> None:
    # A site that built once, to build again with a browser that fails.
    created, clients, build_input = await built_site(api, settings, engine, temporal)
    broken = {
        "crash": (
            fake_chromium(tmp_path / "crash", 'echo "Trace/breakpoint trap" >&2; exit 1'),
            30.0,
            "chromium failed (exit 1): Trace/breakpoint trap",
        ),
        "hang": (
            fake_chromium(tmp_path / "hang", "exec sleep 300"),
            1.0,
            "chromium took longer than 1 s",
        ),
    }
    env = ActivityEnvironment()
    for version, (chromium, timeout, reason) in enumerate(broken.values(), start=50):
        browser = Screenshotter(
            chromium, settings.work_root / "screenshots", timeout_seconds=timeout
        )
        build = BuildActivities(
            clients.sessions,
            clients.git,
            clients.storage,
            clients.runner,
            settings.templates_dir,
            settings.work_root,
            browser,
        )
        outcome = await env.run(build.build_and_test, build_input(version))
        assert outcome.ok and outcome.dist_key, outcome

        report = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()[-1]
        assert report["version"] == version and report["ok"] is True
        assert report["screenshots"] == [] and report["screenshots_skipped"] == reason
        steps = {s.step_key: s for s in await rows(sessions, PipelineStep, created["id"])}
        step = steps["build_and_test"]
        assert step.status == "success" and step.error_message is None
        assert step.details["screenshots"] == [] and step.details["screenshots_skipped"] == reason

    # Never faked: no image was indexed for the builds whose browser failed.
    indexed = await artifacts(sessions, created["id"])
    shots = [a.version for a in indexed if a.type == ArtifactType.PREVIEW_SCREENSHOT]
    assert all(version < 50 for version in shots)
