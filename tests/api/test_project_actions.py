"""Onboarding, pipeline and generate routes of a project (no worker: runs just wait)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from sitegen.contracts.status import ProjectStatus, StepStatus
from sitegen.db import queries
from sitegen.db.tables import PipelineStep, Project
from tests.api.support import PROJECTS, create, errors_by_field
from tests.conftest import unique_onboarding

# --- POST /projects/{id}/onboarding --------------------------------------------------------


async def test_submit_onboarding_and_resubmit(api: httpx.AsyncClient) -> None:
    project = await create(api)
    url = f"{PROJECTS}/{project['id']}/onboarding"
    form = unique_onboarding("harbour-physio")
    first = await api.post(url, json=form)
    assert first.status_code == 201, first.text
    assert first.json()["revision"] == 1
    assert first.json()["workflow_notified"] is False
    form["business"]["tagline"] = "Now with evening appointments"
    second = await api.post(url, json=form)
    assert second.status_code == 201
    assert second.json()["revision"] == 2
    assert second.json()["submission_id"] == first.json()["submission_id"]
    assert (await api.get(f"{PROJECTS}/{project['id']}")).json()["onboarding_submitted"] is True


async def test_onboarding_html_and_rtl_kept_verbatim(api: httpx.AsyncClient, sessions: Any) -> None:
    project = await create(api)
    form = unique_onboarding("harbour-physio")
    form["business"]["name"] = "مخبز <b>الأصالة</b>"
    form["business"]["description"] = "<script>alert('hi')</script> & more"
    response = await api.post(f"{PROJECTS}/{project['id']}/onboarding", json=form)
    assert response.status_code == 201, response.text
    async with sessions() as session:
        submission = await queries.get_onboarding(session, uuid.UUID(project["id"]))
    assert submission is not None
    assert submission.raw_data["business"]["name"] == "مخبز <b>الأصالة</b>"
    assert submission.raw_data["business"]["description"] == "<script>alert('hi')</script> & more"


async def test_onboarding_for_unknown_project(api: httpx.AsyncClient) -> None:
    response = await api.post(
        f"{PROJECTS}/{uuid.uuid4()}/onboarding", json=unique_onboarding("harbour-physio")
    )
    assert response.status_code == 404


async def test_onboarding_errors_never_echo_the_value(api: httpx.AsyncClient) -> None:
    project = await create(api)
    form = unique_onboarding("harbour-physio")
    secret = "very-private-address-7f3a"
    form["business"]["email"] = secret
    form["business"]["phone"] = f"call {secret}"
    form["subdomain"] = f"{secret}_x"
    response = await api.post(f"{PROJECTS}/{project['id']}/onboarding", json=form)
    errors = errors_by_field(response)
    assert set(errors) == {"business.email", "business.phone", "subdomain"}
    assert all(reason for reason in errors.values())
    assert secret not in response.text


async def test_onboarding_closed_for_cancelled_project(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project = await create(api, onboarding=unique_onboarding("harbour-physio"))
    async with sessions() as session, session.begin():
        row = await session.get(Project, uuid.UUID(project["id"]))
        row.status = ProjectStatus.CANCELLED.value
    form = unique_onboarding("harbour-physio")
    response = await api.post(f"{PROJECTS}/{project['id']}/onboarding", json=form)
    assert response.status_code == 409
    generate = await api.post(f"{PROJECTS}/{project['id']}/generate")
    assert generate.status_code == 409


async def test_cancel_a_project_that_never_started_is_stored(api: httpx.AsyncClient) -> None:
    """No run to tell: the route itself marks it cancelled, and it stays so; generate is then
    refused (both take the project's row lock, so neither slips between the other's steps)."""
    project = await create(api, onboarding=unique_onboarding("harbour-physio"))
    url = f"{PROJECTS}/{project['id']}"
    cancelled = await api.post(f"{url}/cancel", json={"reason": "client withdrew"})
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["already_cancelled"] is False
    assert (await api.get(url)).json()["status"] == "cancelled"
    again = await api.post(f"{url}/cancel", json={})
    assert again.json()["already_cancelled"] is True
    assert (await api.post(f"{url}/generate")).status_code == 409


# --- GET /projects/{id}/pipeline -----------------------------------------------------------


async def test_pipeline_empty_before_generation(api: httpx.AsyncClient) -> None:
    project = await create(api, onboarding=unique_onboarding("harbour-physio"))
    response = await api.get(f"{PROJECTS}/{project['id']}/pipeline")
    assert response.status_code == 200
    assert response.json() == []


async def test_pipeline_lists_steps_in_order(api: httpx.AsyncClient, sessions: Any) -> None:
    project = await create(api)
    pid = uuid.UUID(project["id"])
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        for key, order, status in [
            ("generate_brief", 4, StepStatus.RUNNING),
            ("validate_onboarding", 1, StepStatus.SUCCESS),
            ("download_assets", 2, StepStatus.FAILED),
        ]:
            session.add(
                PipelineStep(
                    project_id=pid, step_key=key, step_order=order, status=status, started_at=now
                )
            )
    steps = (await api.get(f"{PROJECTS}/{pid}/pipeline")).json()
    assert [(s["step_key"], s["step_order"], s["status"]) for s in steps] == [
        ("validate_onboarding", 1, "success"),
        ("download_assets", 2, "failed"),
        ("generate_brief", 4, "running"),
    ]


async def test_pipeline_of_unknown_project(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"{PROJECTS}/{uuid.uuid4()}/pipeline")).status_code == 404


# --- POST /projects/{id}/generate ----------------------------------------------------------


async def test_generate_needs_onboarding(api: httpx.AsyncClient) -> None:
    project = await create(api)
    response = await api.post(f"{PROJECTS}/{project['id']}/generate")
    assert response.status_code == 409
    assert response.json()["field"] == "onboarding"


async def test_generate_unknown_project(api: httpx.AsyncClient) -> None:
    assert (await api.post(f"{PROJECTS}/{uuid.uuid4()}/generate")).status_code == 404


async def test_generate_starts_once(api: httpx.AsyncClient, started: Callable[[str], None]) -> None:
    project = await create(api, onboarding=unique_onboarding("harbour-physio"))
    url = f"{PROJECTS}/{project['id']}/generate"
    first = await api.post(url)
    assert first.status_code == 202, first.text
    started(first.json()["workflow_id"])
    assert first.json()["workflow_id"] == f"site-{project['slug']}"
    assert first.json()["already_running"] is False
    assert first.json()["run_id"]
    assert first.json()["temporal_ui_url"].endswith(f"/workflows/site-{project['slug']}")
    second = await api.post(url)
    assert second.status_code == 202
    assert second.json()["already_running"] is True
    assert second.json()["run_id"] == first.json()["run_id"]
