"""A project generated again: its own run, its own commits, deploys, versions and
notifications (idempotency keys are per generation), and a cancel that reaches a run no
worker has picked up yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowExecutionStatus

from sitegen.contracts.pipeline import PipelineState
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.api.support import PROJECTS
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import PreviewSite, notifications, order_site, wait_status

# --- 4. idempotency keys are per generation ----------------------------------------------


async def run_state(temporal: Client, workflow_id: str, run_id: str) -> PipelineState:
    handle = temporal.get_workflow_handle(workflow_id, run_id=run_id)
    state: PipelineState = await handle.query("state", result_type=PipelineState)
    return state


@dataclass
class Regenerated:
    """A project generated once, its run ended, then generated again."""

    project: dict[str, Any]
    form: dict[str, Any]
    first: dict[str, Any]
    first_run: str
    second_run: str
    commits_before: int
    deploys_before: set[str]
    git: LocalGit
    deploys: Path


async def regenerate(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    temporal: Client,
    started: Callable[[str], None],
) -> Regenerated:
    """A cancelled project cannot be generated again (cancel ends the project), so the
    first run is ended the way an operator can in the Temporal UI: terminated."""
    form = unique_onboarding("ironbark-software")
    created = await order_site(api, form)
    started(created["workflow_id"])
    first = await wait_status(api, created["id"])
    assert first["status"] == "preview_ready"
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    deploys = settings.sites_root / created["slug"] / "deploys"
    handle = temporal.get_workflow_handle(created["workflow_id"])
    first_run = (await handle.describe()).run_id
    assert first_run
    kinds = [n.kind for n in await notifications(sessions, created["id"])]
    assert kinds.count("preview_ready") == 2
    commits_before = await git.count_commits(created["slug"], "preview")
    deploys_before = {p.name for p in deploys.iterdir()}

    await handle.terminate(reason="operator: generate again")
    again = await api.post(f"{PROJECTS}/{created['id']}/generate")
    assert again.status_code == 202, again.text
    assert again.json()["already_running"] is False
    second_run = again.json()["run_id"]
    assert second_run and second_run != first_run
    return Regenerated(
        created, form, first, first_run, second_run, commits_before, deploys_before, git, deploys
    )


@pytest.mark.usefixtures("worker")
async def test_a_second_generation_redoes_its_side_effects_instead_of_finding_the_first(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    temporal: Client,
    started: Callable[[str], None],
) -> None:
    """Keys are workflow id + generation + step (`ProjectRef.key`): the same workflow id
    generating again makes its own commits and its own deploy."""
    r = await regenerate(api, settings, sessions, temporal, started)
    pid, slug = r.project["id"], r.project["slug"]

    async def deployed_again() -> bool:
        new_deploys = {p.name for p in r.deploys.iterdir()} - r.deploys_before
        return bool(new_deploys) and await r.git.count_commits(slug, "preview") > r.commits_before

    await wait_for(deployed_again, 60)
    steps = {s["step_key"]: s for s in (await api.get(f"{PROJECTS}/{pid}/pipeline")).json()}
    for key in ("validate_onboarding", "setup_project_structure", "apply_patch", "build_and_test"):
        assert steps[key]["status"] == "success", steps[key]
    assert steps["apply_patch"]["output_ref"] == await r.git.head(slug, "preview")
    assert steps["apply_patch"]["details"]["created"] is True  # a new commit, not the old one
    first_versions = (await api.get(f"{PROJECTS}/{pid}/versions")).json()
    assert steps["apply_patch"]["output_ref"] != first_versions[0]["commit"]

    # Cancel ends the project: generating it again is refused, with the reason.
    cancel = await api.post(f"{PROJECTS}/{pid}/cancel", json={"reason": "done"})
    assert cancel.status_code == 202
    await wait_status(api, pid, ("cancelled",))
    refused = await api.post(f"{PROJECTS}/{pid}/generate")
    assert refused.status_code == 409 and refused.json()["detail"] == "project is cancelled"


@pytest.mark.usefixtures("worker")
async def test_a_second_generation_reaches_its_own_preview_and_notifications(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    temporal: Client,
    started: Callable[[str], None],
) -> None:
    r = await regenerate(api, settings, sessions, temporal, started)
    pid, workflow_id = r.project["id"], r.project["workflow_id"]

    async def settled() -> PipelineState | None:
        state = await run_state(temporal, workflow_id, r.second_run)
        if state.status in ("preview_ready", "needs_attention", "cancelled"):
            return state
        steps = (await api.get(f"{PROJECTS}/{pid}/pipeline")).json()
        deploy = next(s for s in steps if s["step_key"] == "deploy_preview")
        return state if deploy["status"] == "failed" else None  # fail fast, not after retries

    state = await wait_for(settled, 60)
    steps = (await api.get(f"{PROJECTS}/{pid}/pipeline")).json()
    problems = {s["step_key"]: s["error_message"] for s in steps if s["error_message"]}
    assert state.status == "preview_ready", problems
    kinds = [n.kind for n in await notifications(sessions, pid)]
    assert kinds.count("preview_ready") == 4  # its own, not the first run's reused
    versions = (await api.get(f"{PROJECTS}/{pid}/versions")).json()
    assert versions[-1]["commit"] == await r.git.head(r.project["slug"], "preview")
    site = PreviewSite(settings.sites_root, r.first["preview_url"])
    try:
        home = await site.get("/")
        assert home.status_code == 200 and r.form["business"]["name"] in home.text
    finally:
        await site.aclose()


async def test_a_cancel_before_any_worker_took_the_run_stops_it(
    api: httpx.AsyncClient,
    sessions: Any,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    started: Callable[[str], None],
) -> None:
    """The order starts the run; no worker has taken it yet (busy, or down), so the
    project is still `pending` when the client cancels."""
    created = await order_site(api, unique_onboarding("harbour-physio"))
    started(created["workflow_id"])
    pid = created["id"]
    cancel = await api.post(f"{PROJECTS}/{pid}/cancel", json={"reason": "changed my mind"})
    assert cancel.status_code == 202 and cancel.json()["already_cancelled"] is False
    handle = temporal.get_workflow_handle(created["workflow_id"])

    async def over() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"{PROJECTS}/{pid}")).json()
        ended = (await handle.describe()).status != WorkflowExecutionStatus.RUNNING
        return body if ended or body["status"] == "preview_ready" else None

    async with build_worker(
        temporal, build_clients(settings, engine), settings, settings.task_queue
    ):
        project = await wait_for(over, 60)
    assert project["status"] == "cancelled", (project["status"], project["preview_url"])
    assert [n.kind for n in await notifications(sessions, pid)] == []


async def test_a_change_with_no_worker_to_take_it_is_a_503_not_a_hang(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from sitegen.api import messages

    clients = build_clients(settings, engine)
    async with build_worker(temporal, clients, settings, settings.task_queue):
        created = await order_site(api, unique_onboarding("harbour-physio"))
        await wait_status(api, created["id"])
    # The worker is gone: nobody can run the update's handler.
    monkeypatch.setattr(messages, "UPDATE_TIMEOUT", timedelta(seconds=2))
    response = await api.post(
        f"{PROJECTS}/{created['id']}/revisions", json={"message": "Change the colour to red"}
    )
    assert response.status_code == 503, response.text
    assert "did not answer" in response.json()["detail"]
    await temporal.get_workflow_handle(created["workflow_id"]).terminate(reason="test over")
