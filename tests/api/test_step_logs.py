"""GET /api/v1/projects/{id}/pipeline/{step}/logs: what the records say about one step, for
the agency's operators only; the log read from storage (its end when long), and the rest of
the answer still given when storage cannot be read. Rows are written here as the worker
writes them; tests/test_cli_logs.py reads a real failed build through the same route."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sitegen.api.app import create_app
from sitegen.contracts.status import ArtifactType, StepStatus
from sitegen.db.tables import AICall, Artifact, PipelineStep
from sitegen.integrations.storage.base import StorageUnavailable
from sitegen.integrations.storage.filesystem import FilesystemStorage
from sitegen.settings import Settings
from tests.api.accounts_support import tenant
from tests.api.support import create, errors_by_field
from tests.conftest import ADMIN_HEADERS

LOG = "\n".join(f"[build] step {n}: ok" for n in range(1, 2001)) + "\nError: home.json is broken"
REPORT = {"ok": False, "attempt": 2, "exit_code": 1, "sandbox": "bwrap", "pages": 0}


def logs_url(project_id: str, step: str = "build_and_test") -> str:
    return f"/api/v1/projects/{project_id}/pipeline/{step}/logs"


async def failed_build(sessions: Any, settings: Settings, project_id: str) -> str:
    """A build_and_test row as the worker leaves a failed build: its report in storage (with
    the log) and indexed in `artifact` (without it). Returns the report's key."""
    pid = uuid.UUID(project_id)
    key = f"projects/{pid}/artifacts/build_report_v2.json"
    data = json.dumps({**REPORT, "log": LOG}).encode()
    await FilesystemStorage(settings.storage_root).put(key, data, "application/json")
    async with sessions() as session, session.begin():
        session.add(
            PipelineStep(
                project_id=pid,
                step_key="build_and_test",
                step_order=12,
                status=StepStatus.FAILED,
                retry_count=1,
                error_message="attempt 2 failed: content/pages/home.json: invalid JSON",
                error_details={"error": "BuildFailed"},
                output_ref=key,
                details={"ok": False, "attempt": 2},
                decision={"action": "retry", "decided_by": "Olu", "note": "once more"},
            )
        )
        session.add(
            Artifact(
                project_id=pid,
                type=ArtifactType.BUILD_REPORT,
                version=2,
                storage_ref=key,
                inline_content=REPORT,
                file_size=len(data),
                mime_type="application/json",
            )
        )
    return key


async def test_an_operator_reads_a_failed_build(
    api: httpx.AsyncClient, sessions: Any, settings: Settings
) -> None:
    project = await create(api)
    key = await failed_build(sessions, settings, project["id"])
    response = await api.get(logs_url(project["id"]))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["status"] == "failed" and found["retry_count"] == 1
    assert found["error_message"].startswith("attempt 2 failed: ")
    assert found["decision"]["decided_by"] == "Olu"
    assert found["artifact"]["type"] == "build_report" and found["artifact"]["version"] == 2
    assert found["build_report"] == REPORT  # the stored report, its log apart
    assert found["log"] == LOG and found["log_ref"] == key
    assert found["log_omitted_chars"] == 0 and found["log_unavailable"] is None

    # A long log: its end, where a build says how it died, and how much was left out.
    tail = (await api.get(logs_url(project["id"]), params={"log_chars": 100})).json()
    assert tail["log"] == LOG[-100:] and tail["log"].endswith("home.json is broken")
    assert tail["log_omitted_chars"] == len(LOG) - 100
    too_much = await api.get(logs_url(project["id"]), params={"log_chars": 10**9})
    assert set(errors_by_field(too_much)) == {"query.log_chars"}


async def test_what_cannot_be_read_is_said_and_the_rest_still_answered(
    api: httpx.AsyncClient, sessions: Any, settings: Settings
) -> None:
    project = await create(api)
    key = await failed_build(sessions, settings, project["id"])
    path = settings.storage_root / key
    path.write_text("{not json")
    found = (await api.get(logs_url(project["id"]))).json()
    assert found["log"] is None and found["build_report"] == REPORT  # the index's copy
    assert found["log_unavailable"] == f"{key} is not a readable build report"
    path.unlink()
    found = (await api.get(logs_url(project["id"]))).json()
    assert found["log_unavailable"] == f"{key} is not in storage"
    assert found["status"] == "failed" and found["error_message"]


class DownStorage(FilesystemStorage):
    async def get(self, key: str) -> bytes:
        raise StorageUnavailable("connection refused")


@pytest.fixture
async def storage_down_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.storage = DownStorage(settings.storage_root)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=ADMIN_HEADERS
        ) as client:
            yield client


async def test_storage_down_is_said_not_a_failure(
    api: httpx.AsyncClient, storage_down_api: httpx.AsyncClient, sessions: Any, settings: Settings
) -> None:
    project = await create(api)
    await failed_build(sessions, settings, project["id"])
    response = await storage_down_api.get(logs_url(project["id"]))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["log_unavailable"] == "storage could not be read (StorageUnavailable)"
    assert found["build_report"] == REPORT and found["error_message"]


async def test_a_steps_latest_ai_requests_oldest_first(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project = await create(api)
    pid = uuid.UUID(project["id"])
    start = datetime.now(UTC) - timedelta(hours=1)
    async with sessions() as session, session.begin():
        session.add(PipelineStep(project_id=pid, step_key="generate_brief", step_order=4))
        for n in range(25):
            session.add(
                AICall(
                    project_id=pid,
                    idempotency_key=f"brief/{n}",
                    pipeline_step="generate_brief" if n != 24 else "generate_sitemap",
                    ai_step="brief",
                    attempt=n + 1,
                    model="claude-test",
                    status="failed" if n == 23 else "paid",
                    error="overloaded" if n == 23 else None,
                    cost_usd=Decimal("0.01"),
                    created_at=start + timedelta(seconds=n),
                )
            )
    found = (await api.get(logs_url(project["id"], "generate_brief"))).json()
    assert found["status"] == "queued" and found["log"] is None and found["artifact"] is None
    calls = found["ai_calls"]
    assert [c["attempt"] for c in calls] == list(range(5, 25))  # 20, the other step's left out
    assert calls[-1]["status"] == "failed" and calls[-1]["error"] == "overloaded"


async def test_unknown_project_step_or_a_step_not_run(api: httpx.AsyncClient) -> None:
    project = await create(api)
    missing = await api.get(logs_url(str(uuid.uuid4())))
    assert missing.status_code == 404 and missing.json()["detail"] == "project not found"
    not_run = await api.get(logs_url(project["id"], "deploy_production"))
    assert not_run.status_code == 404
    assert not_run.json() == {
        "detail": "step 'deploy_production' has not run in this project",
        "field": "step_key",
    }
    unknown = await api.get(logs_url(project["id"], "no_such_step"))
    assert "build_and_test" in errors_by_field(unknown)["path.step_key"]


async def test_only_the_agency_reads_step_logs(
    api: httpx.AsyncClient, sessions: Any, settings: Settings
) -> None:
    """Build logs and raw errors are the agency's workings: a client is refused even on its
    own project, and nobody signed out gets anything."""
    client = await tenant(api)
    await failed_build(sessions, settings, client.project["id"])
    own = await api.get(logs_url(client.project["id"]), headers=client.headers)
    assert own.status_code == 403
    assert own.json()["detail"] == "only the agency's operators may do this"
    assert "home.json" not in own.text
    anonymous = await api.get(logs_url(client.project["id"]), headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert (await api.get(logs_url(client.project["id"]))).status_code == 200
