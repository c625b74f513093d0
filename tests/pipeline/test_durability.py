"""Kill things mid-pipeline: the project still finishes, and no side effect happens twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from temporalio.client import Client

from sitegen.api.app import create_app
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from sitegen.stack.process import free_port
from sitegen.stack.temporal import TemporalDevServer
from sitegen.workflows import policies
from tests.conftest import ADMIN_HEADERS, unique_onboarding
from tests.pipeline.helpers import (
    keep_history,
    notifications,
    order_site,
    slow_template,
    wait_status,
    wait_step,
)
from tests.worker_process import WorkerProcess, worker_env

SLOW_BUILD_SECONDS = 3


@pytest.fixture
def slow_templates(tmp_path: Path) -> Path:
    """The landing template whose build takes a few seconds: time to kill things."""
    return slow_template(tmp_path / "templates", SLOW_BUILD_SECONDS)


@pytest.fixture
def durable_settings(settings: Settings, slow_templates: Path) -> Settings:
    return settings.model_copy(update={"templates_dir": slow_templates})


@pytest.fixture
def worker_process(durable_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(worker_env(durable_settings), tmp_path / "worker.log")
    yield worker
    worker.stop()


@pytest.fixture
async def durable_api(durable_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(durable_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as client,
    ):
        yield client


async def assert_each_side_effect_once(
    settings: Settings, sessions: Any, created: dict[str, Any]
) -> None:
    slug = created["slug"]
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    assert sorted(p.name for p in settings.repos_root.iterdir()) == [f"{slug}.git"]
    patch_commits = await git.count_commits(slug, "preview") - await git.count_commits(slug, "main")
    assert patch_commits == 1  # ironbark has no assets: the content patch is the only commit
    deploys = list((settings.sites_root / slug / "deploys").iterdir())
    assert len(deploys) == 1, deploys
    kinds = sorted(n.kind for n in await notifications(sessions, created["id"]))
    assert kinds == ["preview_ready", "preview_ready"]


def slow_builds(work_root: Path) -> list[str]:
    """This test's slow builds still running: `time.sleep(` in the command line and a working
    directory under this test's own data dir (other tests' builds live elsewhere)."""
    root = str(work_root.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        cwd = proc.info["cwd"] or ""
        if (
            "time.sleep(" in cmdline
            and cwd.startswith(root)
            and proc.info["status"] != psutil.STATUS_ZOMBIE  # dead, awaiting init's reaping
        ):
            found.append(f"{proc.pid}: {cmdline[:120]}")
    return found


async def poll_builds(work_root: Path, *, present: bool, seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while bool(await asyncio.to_thread(slow_builds, work_root)) != present:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@pytest.mark.chaos  # kills a worker mid-step and waits for the next: `make chaos`
async def test_worker_killed_mid_step_then_replaced(
    durable_api: httpx.AsyncClient,
    durable_settings: Settings,
    worker_process: WorkerProcess,
    sessions: Any,
) -> None:
    worker_process.start()
    created = await order_site(durable_api, unique_onboarding("ironbark-software"))
    await wait_step(sessions, created["id"], "build_and_test", "running", seconds=60)
    # Kill only once the build really runs, so its death below is the worker's doing.
    assert await poll_builds(durable_settings.work_root, present=True, seconds=20)
    worker_process.kill()  # SIGKILL: no goodbye, the build dies with it
    # An orphaned build would sleep on for seconds more; the kernel ends it at once.
    assert await poll_builds(durable_settings.work_root, present=False, seconds=2)

    worker_process.start()
    project = await wait_status(durable_api, created["id"], seconds=90)
    assert project["status"] == "preview_ready", project
    steps = {
        s["step_key"]: s
        for s in (await durable_api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    }
    assert steps["build_and_test"]["retry_count"] >= 1  # the new worker ran it again
    assert all(s["status"] == "success" for s in steps.values())
    await assert_each_side_effect_once(durable_settings, sessions, created)


@pytest.mark.chaos  # workers killed and waited for: in `make chaos`
async def test_a_build_outlives_more_worker_deaths_than_its_attempts(
    durable_api: httpx.AsyncClient,
    durable_settings: Settings,
    worker_process: WorkerProcess,
    sessions: Any,
    temporal: Client,
) -> None:
    """Every attempt of the build lost with its worker, more times than the build's retry
    policy allows: the workers died, the step did nothing wrong, so it runs again and
    nobody is asked to decide anything."""
    worker_process.start()
    created = await order_site(durable_api, unique_onboarding("ironbark-software"))
    await wait_step(sessions, created["id"], "build_and_test", "running", seconds=60)
    for _ in range(policies.BUILD.retry.maximum_attempts + 1):
        # A dead worker is noticed after the heartbeat timeout; then the next one builds.
        assert await poll_builds(durable_settings.work_root, present=True, seconds=60)
        worker_process.kill()
        worker_process.start()
    project = await wait_status(durable_api, created["id"], seconds=120)
    assert project["status"] == "preview_ready", project
    kinds = {n.kind for n in await notifications(sessions, created["id"])}
    assert "needs_attention" not in kinds
    await assert_each_side_effect_once(durable_settings, sessions, created)
    await keep_history(temporal, created["workflow_id"], "life_build_outlives_worker_deaths")


@pytest.fixture
def own_temporal(tmp_path: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path / "own-temporal", free_port(), None, "default")
    server.start()
    yield server
    server.stop()


# Slow (the whole stack, or Temporal restarted): run by `make chaos`, in CI too.
@pytest.mark.chaos
async def test_temporal_restarted_mid_pipeline(
    durable_settings: Settings,
    own_temporal: TemporalDevServer,
    tmp_path: Path,
    sessions: Any,
) -> None:
    settings = durable_settings.model_copy(update={"temporal_address": own_temporal.address})
    worker = WorkerProcess(worker_env(settings), tmp_path / "worker.log")
    worker.start()
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
            ) as api,
        ):
            created = await order_site(api, unique_onboarding("ironbark-software"))
            await wait_step(sessions, created["id"], "build_and_test", "running", seconds=60)
            assert own_temporal.child is not None
            own_temporal.child.kill()  # the server dies; its SQLite file stays
            own_temporal.start()  # same port, same database file
            project = await wait_status(api, created["id"], seconds=120)
            assert project["status"] == "preview_ready", project
            await assert_each_side_effect_once(settings, sessions, created)
    finally:
        worker.stop()


@pytest.mark.chaos  # workers killed and waited for: in `make chaos`
async def test_worker_killed_during_a_revision_build(
    durable_api: httpx.AsyncClient,
    durable_settings: Settings,
    worker_process: WorkerProcess,
    sessions: Any,
) -> None:
    worker_process.start()
    created = await order_site(durable_api, unique_onboarding("ironbark-software"))
    project = await wait_status(durable_api, created["id"], seconds=90)
    assert project["status"] == "preview_ready", project
    slug, pid = created["slug"], created["id"]
    git = LocalGit(durable_settings.repos_root, durable_settings.work_root / "git-check")
    commits = await git.count_commits(slug, "preview")
    message = 'Change the headline on the home page to "Still here after a crash"'
    response = await durable_api.post(
        f"/api/v1/projects/{pid}/revisions", json={"message": message}
    )
    assert response.status_code == 202, response.text
    await wait_step(sessions, pid, "build_and_test", "running", seconds=60)
    assert await poll_builds(durable_settings.work_root, present=True, seconds=20)
    worker_process.kill()  # SIGKILL in the middle of the revision's build
    assert await poll_builds(durable_settings.work_root, present=False, seconds=2)

    worker_process.start()

    async def applied() -> list[Any] | None:
        versions: list[Any] = (await durable_api.get(f"/api/v1/projects/{pid}/versions")).json()
        done = (await durable_api.get(f"/api/v1/projects/{pid}")).json()["status"]
        return versions if len(versions) == 2 and done == "preview_ready" else None

    from tests.conftest import wait_for

    await wait_for(applied, 120)
    assert await git.count_commits(slug, "preview") == commits + 1  # one commit, not two
    deploys = list((durable_settings.sites_root / slug / "deploys").iterdir())
    assert len(deploys) == 2  # the first preview and the revision, once each
    kinds = sorted(n.kind for n in await notifications(sessions, pid))
    assert kinds.count("revision_applied") == 1
    revisions = (await durable_api.get(f"/api/v1/projects/{pid}/revisions")).json()
    assert [r["status"] for r in revisions] == ["applied"]
    steps = {
        s["step_key"]: s for s in (await durable_api.get(f"/api/v1/projects/{pid}/pipeline")).json()
    }
    assert steps["build_and_test"]["retry_count"] >= 1  # the new worker built it again
