"""Approval to delivery, and cancellation at any point, on the real dev server and Postgres."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.client import Client, WorkflowExecutionStatus

from sitegen.contracts.pipeline import PipelineState
from sitegen.db.tables import Project
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import (
    PreviewSite,
    keep_history,
    notifications,
    order_site,
    wait_status,
)

pytestmark = pytest.mark.usefixtures("worker")


async def test_approval_merges_deploys_to_production_and_delivers(
    api: httpx.AsyncClient, settings: Settings, sessions: Any, temporal: Client
) -> None:
    form = unique_onboarding("harbour-physio")
    created = await order_site(api, form)
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready" and project["waiting_for"] == "review"
    url = f"/api/v1/projects/{created['id']}"

    approved = await api.post(f"{url}/approve", json={"approved_by": "Dana (studio)"})
    assert approved.status_code == 202, approved.text
    assert approved.json()["already_approved"] is False
    again = await api.post(f"{url}/approve", json={"approved_by": "Dana (studio)"})
    # Approving twice is harmless: accepted while delivering, a clear 409 once delivered.
    assert again.status_code in (202, 409), again.text
    if again.status_code == 202:
        assert again.json()["already_approved"] is True

    delivered = await wait_status(api, created["id"], ("delivered",), seconds=60)
    production = settings.addresses.production(form["subdomain"])
    assert delivered["production_url"] == production
    assert delivered["delivered_at"] is not None
    assert delivered["preview_url"] == project["preview_url"]  # the preview stays as it was
    assert delivered["waiting_for"] is None

    # main holds the approved site: a merge of the preview branch.
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    slug = created["slug"]
    assert await git.read_files(slug, "main", ["content/site.json"]) == await git.read_files(
        slug, "preview", ["content/site.json"]
    )
    assert await git.count_commits(slug, "main") > 1

    # Production serves the site, built for its own address.
    site = PreviewSite(settings.sites_root, production)
    try:
        home = await site.get("/")
        assert home.status_code == 200
        assert form["business"]["name"] in home.text
        assert production in (await site.get("/sitemap.xml")).text
    finally:
        await site.aclose()

    async with sessions() as session:
        row = await session.get(Project, uuid.UUID(created["id"]))
    assert row is not None and row.meta["approval"]["approved_by"] == "Dana (studio)"
    kinds = sorted(n.kind for n in await notifications(sessions, created["id"]))
    assert kinds.count("delivered") == 2  # the client and the workspace

    handle = temporal.get_workflow_handle(created["workflow_id"], result_type=PipelineState)
    result = await handle.result()
    assert result.status == "delivered" and result.production_url == production
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    late = await api.post(f"{url}/approve", json={"approved_by": "Dana (studio)"})
    assert late.status_code == 409 and "delivered" in late.json()["detail"]
    cancel = await api.post(f"{url}/cancel", json={"reason": "too late"})
    assert cancel.status_code == 409
    await keep_history(temporal, created["workflow_id"], "life_preview_approved_delivered")


async def test_approving_a_cancelled_project_is_a_conflict(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"))
    await wait_status(api, created["id"])
    url = f"/api/v1/projects/{created['id']}"
    assert (await api.post(f"{url}/cancel", json={"reason": "changed plans"})).status_code == 202
    await wait_status(api, created["id"], ("cancelled",))
    again = await api.post(f"{url}/cancel", json={})
    assert again.status_code == 202 and again.json()["already_cancelled"] is True
    refused = await api.post(f"{url}/approve", json={"approved_by": "Dana"})
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]


async def test_cancel_takes_the_preview_down_and_keeps_everything_else(
    api: httpx.AsyncClient, settings: Settings, sessions: Any, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("padaria-pao-e-afeto"))
    project = await wait_status(api, created["id"])
    site = PreviewSite(settings.sites_root, project["preview_url"])
    try:
        assert (await site.get("/")).status_code == 200
        assert (
            await api.post(f"/api/v1/projects/{created['id']}/cancel", json={})
        ).status_code == 202
        await wait_status(api, created["id"], ("cancelled",))
        assert (await site.get("/")).status_code == 410
    finally:
        await site.aclose()
    # Nothing else is deleted: the repo, the deploys and the rows are all still there.
    assert (settings.repos_root / f"{created['slug']}.git").is_dir()
    assert list((settings.sites_root / created["slug"] / "deploys").iterdir())
    async with sessions() as session:
        row = (
            await session.exec(select(Project).where(Project.id == uuid.UUID(created["id"])))
        ).one()
    assert row.status == "cancelled" and row.preview_url == project["preview_url"]
    state = await temporal.get_workflow_handle(created["workflow_id"]).query(
        "state", result_type=PipelineState
    )
    assert state.status == "cancelled"

    async def steps_settled() -> bool:
        steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
        return all(s["status"] != "running" for s in steps)

    await wait_for(steps_settled, 10)
