"""GET /metrics: what Postgres holds, as Prometheus reads it, for operators only; a database
that is down or too slow is a 503, never a 500 or a hang."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text

from sitegen.contracts.status import RevisionSource, StepStatus
from sitegen.db.tables import AICall, Notification, PipelineStep, RevisionRequest
from sitegen.settings import Settings
from sitegen.stack.process import free_port
from tests.api.accounts_support import make_user, tenant
from tests.api.support import create
from tests.conftest import app_client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(body: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(api: httpx.AsyncClient) -> Samples:
    response = await api.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


async def _rows(sessions: Any, project_id: uuid.UUID) -> None:
    """A project's life written as the worker would: steps, AI calls, a revision, a mail."""
    now = datetime.now(UTC)

    def step(key: str, status: StepStatus, **values: Any) -> PipelineStep:
        return PipelineStep(
            project_id=project_id, step_key=key, step_order=1, status=status, **values
        )

    def call(n: int, status: str, **values: Any) -> AICall:
        return AICall(
            project_id=project_id,
            idempotency_key=f"metrics/{n}",
            pipeline_step="generate_content",
            ai_step="page_content",
            model="claude-sonnet-5-5",
            status=status,
            **values,
        )

    async with sessions() as session, session.begin():
        session.add_all(
            [
                step(
                    "generate_brief",
                    StepStatus.SUCCESS,
                    started_at=now - timedelta(seconds=3),
                    finished_at=now,
                    duration_seconds=Decimal("3.2"),
                ),
                step("generate_sitemap", StepStatus.FAILED, started_at=now, finished_at=now),
                # Failed, but before the last hour: a current state, not a recent outcome.
                step(
                    "generate_layout_plan", StepStatus.FAILED, finished_at=now - timedelta(hours=2)
                ),
                step("build_and_test", StepStatus.RUNNING, started_at=now - timedelta(minutes=45)),
                call(1, "paid", input_tokens=1000, output_tokens=200, cost_usd=Decimal("0.6")),
                call(2, "paid", input_tokens=10, cache_read_tokens=5, cost_usd=Decimal("0.3")),
                call(3, "failed", error="RateLimitError"),
                RevisionRequest(
                    project_id=project_id, source=RevisionSource.CLIENT, message="bigger logo"
                ),
                Notification(
                    project_id=project_id,
                    idempotency_key=f"metrics/{project_id}",
                    recipient="studio@agency.example",
                    kind="preview_ready",
                    payload={},
                    created_at=now - timedelta(hours=2),
                ),
            ]
        )


async def test_each_family_follows_what_postgres_holds(settings: Settings, sessions: Any) -> None:
    # A small allowance, so three calls in the hour are most of it.
    settings = settings.model_copy(update={"rate_ai_calls_per_project_hour": 4})
    async with app_client(settings) as api:
        before = await scrape(api)
        project = await create(
            api, order={"reference": f"ord_{uuid.uuid4().hex}", "ai_budget_usd": "1"}
        )
        await _rows(sessions, uuid.UUID(project["id"]))
        after = await scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    histogram = "sitegen_pipeline_step_duration_seconds"
    assert grew(f"{histogram}_gcount", step="generate_brief") == 1
    assert grew(f"{histogram}_gsum", step="generate_brief") == pytest.approx(3.2)
    assert grew(f"{histogram}_bucket", step="generate_brief", le="1.0") == 0
    assert grew(f"{histogram}_bucket", step="generate_brief", le="5.0") == 1
    assert grew(f"{histogram}_bucket", step="generate_brief", le="+Inf") == 1
    assert grew("sitegen_pipeline_steps", step="generate_sitemap", status="failed") == 1
    assert grew("sitegen_pipeline_steps", step="build_and_test", status="running") == 1
    failed = {"step": "generate_sitemap", "status": "failed"}
    assert grew("sitegen_pipeline_steps_finished_last_hour", **failed) == 1
    earlier = {"step": "generate_layout_plan", "status": "failed"}
    assert grew("sitegen_pipeline_steps", **earlier) == 1
    assert grew("sitegen_pipeline_steps_finished_last_hour", **earlier) == 0
    # Running for 45 minutes: the stuck-pipeline alert's number.
    stuck = value(after, "sitegen_pipeline_step_oldest_running_seconds", step="build_and_test")
    assert stuck >= 45 * 60
    assert grew("sitegen_projects_failed_last_hour") == 1
    assert grew("sitegen_projects", status="pending") == 1
    assert grew("sitegen_revisions", status="pending") == 1

    assert grew("sitegen_ai_calls", status="paid") == 2
    assert grew("sitegen_ai_calls", status="failed") == 1
    content = {"step": "generate_content"}
    assert grew("sitegen_ai_tokens_total", **content, kind="input") == 1010
    assert grew("sitegen_ai_tokens_total", **content, kind="output") == 200
    assert grew("sitegen_ai_tokens_total", **content, kind="cache_read") == 5
    assert grew("sitegen_ai_cost_usd_total", **content) == pytest.approx(0.9)
    assert grew("sitegen_ai_provider_rate_limited_total") == 1
    # Three calls of four in the hour; 0.90 USD of a 1 USD budget (the highest of any project).
    assert value(after, "sitegen_ai_quota_used_ratio", quota="hourly_calls") >= 0.75
    assert value(after, "sitegen_ai_quota_used_ratio", quota="budget") >= 0.9

    assert grew("sitegen_outbox_unsent") == 1
    assert value(after, "sitegen_outbox_oldest_unsent_age_seconds") >= 2 * 3600
    # Every step and status is there at 0 too, so an alert's series never vanishes.
    assert (
        "sitegen_pipeline_steps",
        frozenset({("step", "deploy_production"), ("status", "manual")}),
    ) in after


async def test_openmetrics_when_asked(api: httpx.AsyncClient) -> None:
    response = await api.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    families = {f.name: f.type for f in openmetrics_families(response.text)}
    assert families["sitegen_pipeline_step_duration_seconds"] == "gaugehistogram"
    assert families["sitegen_ai_tokens"] == "counter"
    assert families["sitegen_projects"] == "gauge"


async def test_operators_only(api: httpx.AsyncClient) -> None:
    client = await tenant(api)
    operator = await make_user(api, "operator")
    for path in ("/metrics", "/api/v1/analytics"):
        assert (await api.get(path, headers={"Authorization": ""})).status_code == 401
        refused = await api.get(path, headers=client.headers)
        assert refused.status_code == 403, (path, refused.text)
        assert "sitegen_projects" not in refused.text
        assert (await api.get(path, headers=operator)).status_code == 200, path


async def test_database_down_is_503(settings: Settings) -> None:
    gone = f"postgresql://sitegen@127.0.0.1:{free_port()}/sitegen"
    down = settings.model_copy(
        update={"database_url": SecretStr(gone), "api_database_url": SecretStr(gone)}
    )
    async with app_client(down) as api:
        for path in ("/metrics", "/api/v1/analytics"):
            response = await api.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"] == "5"


async def test_database_too_slow_is_503_within_the_limit(settings: Settings, sessions: Any) -> None:
    """A table held by a long migration (say): the scrape gives up at its time limit and
    frees its connection, instead of piling scrapes up behind the lock."""
    settings = settings.model_copy(update={"metrics_query_timeout_seconds": 0.5})
    async with app_client(settings) as api, sessions() as holder:
        await holder.execute(text("LOCK TABLE notification IN ACCESS EXCLUSIVE MODE"))
        try:
            started = time.monotonic()
            response = await asyncio.wait_for(api.get("/metrics"), 20)
            took = time.monotonic() - started
        finally:
            await holder.rollback()
        assert response.status_code == 503, response.text
        assert took < 5
        # The lock gone, the next scrape answers.
        assert (await api.get("/metrics")).status_code == 200
