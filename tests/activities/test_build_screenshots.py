"""A browser that crashes or hangs costs a build its screenshots, never the build itself."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.activities.build import BuildActivities
from sitegen.contracts.activities import BuildInput, ProjectRef, RepoOutcome
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import PipelineStep
from sitegen.integrations.browser.screenshots import Screenshotter
from sitegen.settings import Settings
from sitegen.worker import build_clients
from tests.conftest import unique_onboarding
from tests.pipeline.helpers import artifacts, order_site, rows, wait_status


def fake_chromium(folder: Path, body: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "chromium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


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
    created = await order_site(api, unique_onboarding("sunflower-cafe"))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    run = await temporal.get_workflow_handle(created["workflow_id"]).describe()
    ref = ProjectRef(
        project_id=uuid.UUID(created["id"]),
        workflow_id=created["workflow_id"],
        slug=created["slug"],
        template_id="landing",
        generation=run.run_id,
    )
    clients = build_clients(settings, engine)
    sha = await clients.git.head(ref.slug, "preview")
    repo = RepoOutcome(repo_name=ref.slug, repo_url=project["repo_url"], branch="preview", head=sha)
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
        outcome = await env.run(
            build.build_and_test,
            BuildInput(
                project=ref,
                repo=repo,
                sha=sha,
                attempt=1,
                site_url=project["preview_url"],
                report_version=version,
            ),
        )
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
