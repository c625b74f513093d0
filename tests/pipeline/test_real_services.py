"""A project's whole life (generation, a revision, approval, delivery) with every real
adapter switched on, each against its local fake: Claude, GitHub, Cloudflare Pages + DNS,
S3, SMTP and the agency's webhook. What each service ends up holding is checked on the
service; no credential shows in the worker's logs, the API's answers or the history. And
worker processes killed right after each kind of side effect on those services (in `make
chaos`): the project is delivered and no service holds a thing twice."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.failpoints import (
    AFTER_AI_CALL,
    AFTER_COMMIT,
    AFTER_DEPLOY,
    AFTER_MERGE,
    AFTER_NOTIFICATION,
)
from sitegen.integrations.storage.s3 import S3Storage
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.conftest import unique_onboarding, wait_for
from tests.notify.support import start_sender
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.histories import payloads_in, raw_history
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


@pytest.fixture
async def worker(settings: Settings, engine: AsyncEngine, temporal: Client) -> AsyncIterator[None]:
    clients = build_clients(settings, engine)
    assert isinstance(clients.storage, S3Storage)
    try:
        async with build_worker(temporal, clients, settings, settings.task_queue):
            yield
    finally:
        await clients.storage.aclose()


async def _revised(api: httpx.AsyncClient, project_id: str, message: str) -> dict[str, Any]:
    queued = await api.post(f"/api/v1/projects/{project_id}/revisions", json={"message": message})
    assert queued.status_code == 202, queued.text
    url = f"/api/v1/projects/{project_id}/revisions/{queued.json()['revision_id']}"

    async def settled() -> dict[str, Any] | None:
        revision: dict[str, Any] = (await api.get(url)).json()
        return revision if revision["status"] in ("applied", "rejected") else None

    result: dict[str, Any] = await wait_for(settled, 120)
    return result


@pytest.mark.usefixtures("worker")
async def test_a_whole_life_on_the_real_services(
    api: httpx.AsyncClient,
    settings: Settings,
    services: RealServices,
    temporal: Client,
    capfd: pytest.CaptureFixture[str],
) -> None:
    form = unique_onboarding("harbour-physio")
    created = await order_site(api, form, template_id="landing")
    pid = created["id"]
    sender = await start_sender(temporal, settings, created["workflow_id"])
    project = await wait_status(api, pid, seconds=180)
    assert project["status"] == "preview_ready", project
    preview_host = project["preview_url"].split("//", 1)[1].split("/", 1)[0]
    assert preview_host.endswith(".preview.agency.test")
    status, home = services.site(preview_host)
    assert status == 200 and form["business"]["name"] in home

    revision = await _revised(api, pid, "Change the primary colour to navy")
    assert revision["status"] == "applied", revision
    approved = await api.post(f"/api/v1/projects/{pid}/approve", json={"approved_by": "Dana"})
    assert approved.status_code == 202, approved.text
    delivered = await wait_status(api, pid, ("delivered",), seconds=120)
    production_host = delivered["production_url"].split("//", 1)[1].rstrip("/")
    status, live = services.site(production_host)
    assert status == 200 and form["business"]["name"] in live

    # GitHub: one private repo generated from the template, the revision a commit on the
    # preview branch, main merged from it.
    repos = [r for name, r in services.github.repos.items() if name == f"{ORG}/{created['slug']}"]
    assert len(repos) == 1 and repos[0].private
    assert repos[0].template == f"{ORG}/sitegen-template-landing"
    full = f"{ORG}/{created['slug']}"
    main_tree = services.github.git(full, "rev-parse", "main^{tree}")
    assert main_tree == services.github.git(full, "rev-parse", "preview^{tree}")
    # Cloudflare: one Pages project; a deployment per preview version and production; one
    # DNS record per name (never duplicated).
    state = services.cloudflare.state
    assert len(state.projects) == 1
    names = [r.name for r in state.records.values()]
    assert len(names) == len(set(names)), names
    # S3: everything of the project under its prefix.
    keys = services.s3.keys(services.bucket, f"agency/projects/{pid}/")
    assert any("/builds/" in k for k in keys) and any("/artifacts/" in k for k in keys)
    # Claude: every paid request in the ledger, the revision's apart.
    costs = (await api.get(f"/api/v1/projects/{pid}/costs")).json()
    answered = [r for r in services.anthropic.requests if r.status == 200]
    assert costs["calls"] == len(answered)
    assert revision["id"] in [line["key"] for line in costs["by_revision"]]

    # E-mail to the client (preview, delivery) and the agency's webhook, really sent.
    async def delivered_mail() -> bool:
        kinds = {m.message["Subject"] for m in services.smtp.received}
        return len(kinds) >= 2 and len(services.webhook.deliveries) >= 1

    await wait_for(delivered_mail, 60)
    assert all(d.signature_ok for d in services.webhook.deliveries)
    await sender.terminate()

    # No credential anywhere it could leak.
    secrets = services.secrets()
    answers = "".join(
        [
            (await api.get(f"/api/v1/projects/{pid}{path}")).text
            for path in ("", "/pipeline", "/versions", "/revisions", "/costs", "/builds")
        ]
    )
    bare = await Client.connect(str(settings.temporal_address), namespace=temporal.namespace)
    stored = b"".join(await raw_history(bare, created["workflow_id"]))
    history = await temporal.get_workflow_handle(created["workflow_id"]).fetch_history()
    codec = temporal.data_converter.payload_codec
    assert codec is not None
    opened = await codec.decode([p for event in history.events for _, p in payloads_in(event)])
    readable = b"".join(p.SerializeToString() for p in opened)
    logs = "".join(capfd.readouterr())
    assert len(logs) > 1000 and len(readable) > 10_000
    for what, value in secrets.items():
        assert value not in answers, f"{what} in an API answer"
        assert value.encode() not in stored and value.encode() not in readable, what
        assert value not in logs, f"{what} in the logs"


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
