"""Dependencies that are down, not slow: Postgres stopped mid-generation, Temporal not there
when the API starts, a signal that cannot be delivered. Nothing fails for good, nothing is
done twice, and the API says 503 (never 500) while a dependency is away."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client, WorkflowExecutionStatus

from sitegen.api.app import create_app
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.migrate import prepare_database
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.postgres import EmbeddedPostgres
from sitegen.stack.process import free_port
from sitegen.stack.temporal import TemporalDevServer
from sitegen.worker import build_clients, build_worker
from tests.conftest import (
    ADMIN_HEADERS,
    order_body,
    register_test_admin_key,
    unique_onboarding,
    wait_for,
)
from tests.pipeline.helpers import (
    keep_history,
    notifications,
    order_site,
    slow_template,
    wait_status,
    wait_step,
    waiting_for_correction,
)

OUTAGE_SECONDS = 15  # longer than any old attempt cap of the bookkeeping (about 6 s)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(tmp_path / "own-pg", free_port(), durable=False)
    postgres.start()
    prepare_database(postgres.url, REPO_ROOT / "templates")
    register_test_admin_key(postgres.url)  # its own database: ADMIN_HEADERS must hold here too
    yield postgres
    postgres.stop()


@pytest.fixture
async def on_own_postgres(
    settings: Settings, own_postgres: EmbeddedPostgres, temporal: Client, tmp_path: Path
) -> AsyncIterator[tuple[Settings, httpx.AsyncClient, Any]]:
    """A worker and an API whose database this test may stop."""
    own = settings.model_copy(
        update={
            "database_url": SecretStr(own_postgres.url),
            "templates_dir": slow_template(tmp_path / "templates", 3),
        }
    )
    engine = make_engine(own_postgres.url)
    app = create_app(own)
    async with (
        build_worker(temporal, build_clients(own, engine), own, own.task_queue),
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as api,
    ):
        yield own, api, make_sessionmaker(engine)
    await engine.dispose()


@pytest.mark.chaos  # Postgres down for real seconds, waited out: in `make chaos`
async def test_postgres_stopped_mid_generation_is_waited_out(
    on_own_postgres: tuple[Settings, httpx.AsyncClient, Any],
    own_postgres: EmbeddedPostgres,
    temporal: Client,
) -> None:
    settings, api, sessions = on_own_postgres
    created = await order_site(api, unique_onboarding("ironbark-software"))
    await wait_step(sessions, created["id"], "build_and_test", "running", seconds=60)
    own_postgres.stop()  # down, not slow: connections are refused
    try:
        during = await api.get(f"/api/v1/projects/{created['id']}")
        assert during.status_code == 503, during.text
        assert "database is unavailable" in during.json()["detail"]
        health = await api.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
        await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: nothing to poll for
        handle = temporal.get_workflow_handle(created["workflow_id"])
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    finally:
        await asyncio.to_thread(own_postgres.start)  # start() runs its own event loop

    project = await wait_status(api, created["id"], ("preview_ready",), seconds=150)
    assert project["status"] == "preview_ready"
    # The run waited for the database (durable timers), instead of failing or asking anyone.
    handle = temporal.get_workflow_handle(created["workflow_id"])
    timer_summaries = [
        event.user_metadata.summary
        async for event in handle.fetch_history_events()
        if event.HasField("timer_started_event_attributes")
    ]
    decoded = await temporal.data_converter.decode(timer_summaries, [str] * len(timer_summaries))
    assert any("database down" in text for text in decoded), decoded
    assert project["waiting_for"] == "review"  # no operator was ever asked
    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    assert all(s["status"] == "success" for s in steps), steps  # none stuck "running"
    # Every side effect once: one patch commit, one deploy, one notification per kind.
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    slug = created["slug"]
    assert await git.count_commits(slug, "preview") - await git.count_commits(slug, "main") == 1
    assert len(list((settings.sites_root / slug / "deploys").iterdir())) == 1
    kinds = sorted(n.kind for n in await notifications(sessions, created["id"]))
    assert kinds == ["preview_ready", "preview_ready"]
    await keep_history(temporal, created["workflow_id"], "life_postgres_outage_waited_out")


@pytest.fixture
def temporal_later(tmp_path: Path) -> Iterator[TemporalDevServer]:
    """A Temporal server that is not running when the API starts."""
    server = TemporalDevServer(tmp_path / "late-temporal", free_port(), None, "default")
    yield server
    server.stop()


async def test_the_api_reaches_temporal_once_it_is_there(
    settings: Settings, temporal_later: TemporalDevServer
) -> None:
    late = settings.model_copy(update={"temporal_address": temporal_later.address})
    app = create_app(late)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as api,
    ):
        health = await api.get("/healthz")
        assert health.status_code == 503
        assert health.json()["temporal"] == "unavailable" and health.json()["database"] == "ok"
        body = order_body(unique_onboarding("harbour-physio"), start_generation=True)
        refused = await api.post("/api/v1/projects", json=body)
        assert refused.status_code == 503  # nothing written: the same request works later
        assert "Temporal" in refused.json()["detail"]

        await asyncio.to_thread(temporal_later.start)

        async def healthy() -> bool:
            return (await api.get("/healthz")).status_code == 200

        await wait_for(healthy, 30, interval=0.5)
        created = await api.post("/api/v1/projects", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["run_id"]


async def test_the_same_order_twice_is_one_project_and_one_run(
    api: httpx.AsyncClient, temporal: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    from sitegen.api.routes import projects

    body = order_body(unique_onboarding("padaria-pao-e-afeto"), start_generation=True)
    real_start = projects.start_generation

    async def fails_once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(projects, "start_generation", real_start)
        raise RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b"")

    monkeypatch.setattr(projects, "start_generation", fails_once)
    first = await api.post("/api/v1/projects", json=body)
    assert first.status_code == 503  # stored, but its run did not start
    assert "send the same request again" in first.json()["detail"]
    second = await api.post("/api/v1/projects", json=body)
    assert second.status_code == 200, second.text  # the same project, and now its run
    third = await api.post("/api/v1/projects", json=body)
    assert third.status_code == 200
    assert second.json()["id"] == third.json()["id"]
    assert second.json()["run_id"] and second.json()["run_id"] == third.json()["run_id"]
    runs = [
        r async for r in temporal.list_workflows(f"WorkflowId = '{second.json()['workflow_id']}'")
    ]
    assert len(runs) == 1
    other = dict(body, name="Another name for the same order")
    assert (await api.post("/api/v1/projects", json=other)).status_code == 409
    await temporal.get_workflow_handle(second.json()["workflow_id"]).terminate(reason="test")


@pytest.mark.usefixtures("worker")
async def test_a_correction_whose_signal_was_lost_is_still_found(
    settings: Settings, sessions: Any, temporal: Client
) -> None:
    """The run looks at the stored form now and then while it waits for a correction."""
    quick = settings.model_copy(update={"correction_check_seconds": 1})
    app = create_app(quick)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as api,
    ):
        form = unique_onboarding("harbour-physio")
        created = await waiting_for_correction(api, sessions, form)
        # The corrected form lands in the database, and no signal is sent at all.
        from sitegen.db import queries

        async with sessions() as session, session.begin():
            await queries.save_onboarding(session, uuid.UUID(created["id"]), form)
        project = await wait_status(api, created["id"], ("preview_ready",), seconds=60)
        assert project["status"] == "preview_ready"
        await keep_history(temporal, created["workflow_id"], "life_correction_found_unsignalled")
