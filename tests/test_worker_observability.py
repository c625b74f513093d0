"""A real worker process (`python -m sitegen.worker`, as deployed) seen from outside: the
Temporal SDK's metrics on SITEGEN_WORKER_METRICS_ADDRESS, and JSON log lines that name the
project, workflow and step of the activity that wrote them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

from sitegen.contracts.activities import NotifyInput, NotifyOutcome, ProjectRef
from sitegen.contracts.review_activities import Notice
from sitegen.settings import Settings
from sitegen.stack.process import free_port
from sitegen.stack.temporal import TemporalDevServer
from tests.api.support import create
from tests.conftest import wait_for
from tests.worker_process import WorkerProcess, worker_env


class OneCall(BaseModel):
    activity: str
    arg: dict[str, Any]
    task_queue: str


@workflow.defn(sandboxed=False)
class CallOneActivity:
    """Runs one of the worker's activities by name, once, on the worker's own task queue."""

    @workflow.run
    async def run(self, call: OneCall) -> NotifyOutcome:
        return await workflow.execute_activity(
            call.activity,
            call.arg,
            task_queue=call.task_queue,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=1),
            result_type=NotifyOutcome,
        )


@pytest.fixture(scope="module")
def observed(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    temporal_server: TemporalDevServer,
) -> Iterator[tuple[Settings, WorkerProcess, str]]:
    """One worker process for this module: JSON logs, SDK metrics on a free port."""
    here = tmp_path_factory.mktemp("observed")
    settings = Settings(
        data_dir=here / "data",
        database_url=SecretStr(database_url),
        temporal_address=temporal_server.address,
        task_queue=f"test-{uuid.uuid4()}",
        hosting_port=free_port(),
        chromium="",
        # This test's queue only: no outbox sender of its own.
        notify_sender=False,
    )
    address = f"127.0.0.1:{free_port()}"
    extra = {
        "SITEGEN_WORKER_METRICS_ADDRESS": address,
        "SITEGEN_LOG_JSON": "true",
        "SITEGEN_NOTIFY_SENDER": "false",
        # Lines reach the file as they are written, not when the process ends.
        "PYTHONUNBUFFERED": "1",
    }
    worker = WorkerProcess(worker_env(settings, **extra), here / "worker.log")
    worker.start()
    try:
        yield settings, worker, f"http://{address}/metrics"
    finally:
        worker.stop()


def _poll(url: str, worker: WorkerProcess, wanted: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.alive(), worker.log.read_text()[-3000:]
        try:
            page = httpx.get(url, timeout=2).text
            if wanted in page:
                return page
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{wanted!r} not on {url} in {seconds}s")


def test_the_worker_serves_temporal_sdk_metrics(
    observed: tuple[Settings, WorkerProcess, str],
) -> None:
    settings, worker, url = observed
    # The worker's own activity slots (max_concurrent_activities), on its own task queue.
    slots = (
        'temporal_worker_task_slots_available{namespace="default",'
        f'service_name="temporal-core-sdk",task_queue="{settings.task_queue}",'
        'worker_type="ActivityWorker"} 20'
    )
    page = _poll(url, worker, slots)
    assert "# TYPE temporal_request counter" in page


def test_a_bad_metrics_address_is_refused_when_settings_are_read() -> None:
    for wrong in ("9464", "localhost", "host:port", ":9464"):
        with pytest.raises(ValidationError):
            Settings(worker_metrics_address=wrong)
    assert Settings(worker_metrics_address="").worker_metrics_address == ""


def _lines(log: Path) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"a log line that is not JSON: {line!r}") from None
    return found


async def test_activity_log_lines_name_project_workflow_and_step(
    observed: tuple[Settings, WorkerProcess, str], api: httpx.AsyncClient, temporal: Client
) -> None:
    settings, worker, url = observed
    _poll(url, worker, "temporal_worker_task_slots_available")  # the worker is polling
    project = await create(api)
    ref = ProjectRef(
        project_id=uuid.UUID(project["id"]),
        workflow_id=f"site-{project['slug']}",
        slug=project["slug"],
        template_id="landing",
    )
    note = NotifyInput(project=ref, preview_url="http://x.localhost/")
    call = OneCall(
        activity="notify_client", arg=note.model_dump(mode="json"), task_queue=settings.task_queue
    )
    # A notice about a project that does not exist: the activity fails for good.
    nobody = uuid.uuid4()
    notice = Notice(
        project=ref.model_copy(update={"project_id": nobody}),
        audience="workspace",
        kind="test",
        key=f"log-ids/{nobody}",
    )
    ghost = OneCall(
        activity="notify", arg=notice.model_dump(mode="json"), task_queue=settings.task_queue
    )
    queue, workflow_id = f"{settings.task_queue}-caller", f"log-ids-{uuid.uuid4()}"
    async with Worker(temporal, task_queue=queue, workflows=[CallOneActivity]):
        outcome = await temporal.execute_workflow(
            CallOneActivity.run, call, id=workflow_id, task_queue=queue
        )
        with pytest.raises(WorkflowFailureError):
            await temporal.execute_workflow(
                CallOneActivity.run, ghost, id=f"{workflow_id}-ghost", task_queue=queue
            )
    assert outcome.created

    async def queued() -> list[dict[str, Any]]:
        return [
            line
            for line in _lines(worker.log)
            if line.get("event") == "notification.queued"
            and line.get("notification_id") == str(outcome.notification_id)
        ]

    (line,) = await wait_for(queued, 10)
    assert line["project_id"] == project["id"]
    assert line["workflow_id"] == workflow_id
    assert line["step"] == "notify_client"
    assert line["activity"] == "notify_client"
    assert line["level"] == "info"

    # The SDK's own line about the failure (stdlib logging) is JSON too, with the same ids.
    async def failed() -> list[dict[str, Any]]:
        return [
            line
            for line in _lines(worker.log)
            if str(line.get("event", "")).startswith("Completing activity as failed")
            and line.get("project_id") == str(nobody)
        ]

    (failure,) = await wait_for(failed, 10)
    assert failure["workflow_id"] == f"{workflow_id}-ghost"
    assert failure["step"] == "notify"
    assert "ProjectNotFound" in failure["exception"]
