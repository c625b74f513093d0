"""Worker processes killed (SIGKILL) right after each kind of side effect on the real
services (a paid Claude call, a GitHub commit, a Cloudflare deployment, a queued e-mail, the
merge to main), one after the other in one project's life: the project is delivered, and no
service holds a thing twice."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from sitegen.failpoints import (
    AFTER_AI_CALL,
    AFTER_COMMIT,
    AFTER_DEPLOY,
    AFTER_MERGE,
    AFTER_NOTIFICATION,
)
from sitegen.settings import Settings
from tests.conftest import unique_onboarding, wait_for
from tests.notify.support import start_sender
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.real_services import ORG, RealServices
from tests.worker_process import WorkerProcess, worker_env

# The fakes' fixtures, and `services` (every fake running).
pytest_plugins = [
    "tests.fakes.s3",
    "tests.fakes.webhook",
    "tests.pipeline.real_services",
]


@pytest.fixture
def settings(settings: Settings, services: RealServices) -> Settings:
    return settings.model_copy(update=services.settings())


@pytest.mark.chaos  # workers killed and waited for: in `make chaos`
async def test_kills_after_each_side_effect_leave_nothing_twice(
    api: httpx.AsyncClient,
    settings: Settings,
    services: RealServices,
    temporal: Client,
    tmp_path: Path,
) -> None:
    # The test runs its own e-mail sender, scoped to this project (the database is shared).
    env = worker_env(settings, **services.env(), SITEGEN_NOTIFY_SENDER="false")
    worker = WorkerProcess(env, tmp_path / "worker.log")

    async def died() -> bool:
        return not worker.alive()

    async def killed_at(point: str) -> None:
        worker.start(SITEGEN_FAILPOINT=point)
        await wait_for(died, 120)

    try:
        created = await order_site(api, unique_onboarding("harbour-physio"))
        pid, slug = created["id"], created["slug"]
        sender = await start_sender(temporal, settings, created["workflow_id"])
        for point in (AFTER_AI_CALL, AFTER_COMMIT, AFTER_DEPLOY, AFTER_NOTIFICATION):
            await killed_at(point)
        worker.start()
        project = await wait_status(api, pid, seconds=180)
        assert project["status"] == "preview_ready", project
        # Approval is an update the workflow answers: a worker must be there to take it.
        worker.stop()
        worker.start(SITEGEN_FAILPOINT=AFTER_MERGE)
        approved = await api.post(f"/api/v1/projects/{pid}/approve", json={"approved_by": "Dana"})
        assert approved.status_code == 202, approved.text
        await wait_for(died, 120)
        worker.start()
        await wait_status(api, pid, ("delivered",), seconds=180)

        async def mailed() -> bool:
            return len(services.smtp.received) >= 2

        await wait_for(mailed, 60)
        await sender.terminate()
    finally:
        worker.stop()

    # Claude: each question paid once (the answer read back after the kill).
    questions = Counter(
        json.dumps(r.body, sort_keys=True) for r in services.anthropic.requests if r.status == 200
    )
    assert max(questions.values()) == 1
    costs = (await api.get(f"/api/v1/projects/{pid}/costs")).json()
    assert costs["calls"] == sum(questions.values())
    # GitHub: one repo; no idempotency key on two commits of a branch.
    assert [n for n in services.github.repos if n == f"{ORG}/{slug}"] == [f"{ORG}/{slug}"]
    for branch in ("preview", "main"):
        log = services.github.git(f"{ORG}/{slug}", "log", "--format=%B%x1e", branch)
        keys = re.findall(r"^Sitegen-Idempotency-Key: (.+)$", log, flags=re.MULTILINE)
        assert keys and len(keys) == len(set(keys)), (branch, keys)
    # Cloudflare: one deployment per version (preview) and one for production; no DNS
    # record twice.
    state = services.cloudflare.state
    deployments: list[Any] = [d for ds in state.deployments.values() for d in ds]
    versions = (await api.get(f"/api/v1/projects/{pid}/versions")).json()
    assert len(deployments) == len(versions) + 1, (len(deployments), versions)
    names = [r.name for r in state.records.values()]
    assert len(names) == len(set(names)), names
    # E-mail: each message once (the kill after queueing did not queue it twice).
    ids = [m.message_id for m in services.smtp.received]
    assert len(ids) == len(set(ids)), ids
