"""A project that lives for months: its run continues as new, carrying its state, and not a
revision is lost or applied twice across the boundary; a worker killed mid-revision build
changes nothing either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from sitegen.api.app import create_app
from sitegen.contracts.pipeline import PipelineState
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from tests.conftest import ADMIN_HEADERS, unique_onboarding, wait_for
from tests.pipeline.helpers import keep_history, order_site, wait_status

# A run of a preview with no changes has about 150 events; each revision adds about 25.
HISTORY_LIMIT = 60


@pytest.fixture
async def short_runs(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"workflow_history_limit": HISTORY_LIMIT}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as api,
    ):
        yield api


async def accepted_updates(temporal: Client, workflow_id: str) -> list[str]:
    """The ids of the updates the project's runs accepted, in the order they did."""
    runs = [r async for r in temporal.list_workflows(f"WorkflowId = '{workflow_id}'")]
    accepted = []
    for run in sorted(runs, key=lambda r: r.start_time):
        handle = temporal.get_workflow_handle(workflow_id, run_id=run.run_id)
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_execution_update_accepted_event_attributes"):
                attributes = event.workflow_execution_update_accepted_event_attributes
                accepted.append(attributes.accepted_request.meta.update_id)
    return accepted


@pytest.mark.usefixtures("worker")
async def test_revisions_in_flight_cross_continue_as_new(
    short_runs: httpx.AsyncClient, settings: Settings, temporal: Client
) -> None:
    api = short_runs
    # A rush order: its priority must cross continue-as-new with the rest of its state.
    created = await order_site(api, unique_onboarding("harbour-physio"), priority="rush")
    await wait_status(api, created["id"])
    pid = created["id"]
    headlines = [f"Chapter {n} of our story" for n in range(1, 7)]
    queued = await asyncio.gather(
        *(
            api.post(
                f"/api/v1/projects/{pid}/revisions",
                json={"message": f'Change the headline on the home page to "{text}"'},
            )
            for text in headlines
        )
    )
    assert all(r.status_code == 202 for r in queued), [r.text for r in queued]
    assert all(r.json()["position"] >= 1 for r in queued)

    async def all_applied() -> list[dict[str, Any]] | None:
        versions: list[dict[str, Any]] = (await api.get(f"/api/v1/projects/{pid}/versions")).json()
        project = (await api.get(f"/api/v1/projects/{pid}")).json()
        return versions if len(versions) >= 7 and project["status"] == "preview_ready" else None

    versions = await wait_for(all_applied, 120)
    assert [v["number"] for v in versions] == list(range(1, 8))  # none lost, none twice
    revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
    assert [r["status"] for r in revisions] == ["applied"] * 6
    applied = sorted(revisions, key=lambda r: r["applied_at"])
    # In the order the run accepted them (a position is a place in the queue at the time,
    # not a sequence: changes applied meanwhile leave the queue).
    accepted = await accepted_updates(temporal, created["workflow_id"])
    assert [f"revision-{r['id']}" for r in applied] == accepted
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    slug = created["slug"]
    patches = await git.count_commits(slug, "preview") - await git.count_commits(slug, "main")
    assert patches == 1 + 6  # the first content patch, then one commit per revision

    runs = [r async for r in temporal.list_workflows(f"WorkflowId = '{created['workflow_id']}'")]
    assert len(runs) >= 3, "the run should have continued as new along the way"
    for run in runs:
        described = await temporal.get_workflow_handle(run.id, run_id=run.run_id).describe()
        priority = described.raw_description.workflow_execution_info.priority
        assert priority.priority_key == 1, (run.run_id, priority)
    state = await temporal.get_workflow_handle(created["workflow_id"]).query(
        "state", result_type=PipelineState
    )
    assert state.current_version == 7 and state.status == "preview_ready"
    # The state crossed intact: the later run still approves and delivers.
    approved = await api.post(f"/api/v1/projects/{pid}/approve", json={"approved_by": "Ana"})
    assert approved.status_code == 202, approved.text
    project = await wait_status(api, pid, ("delivered",), seconds=60)
    assert project["production_url"]
    await keep_history(temporal, created["workflow_id"], "life_after_continue_as_new_delivered")
