"""The API's rules around the onboarding form: one validation pass, a form that closes
when generation starts, who a project waits for, racing orders, listing, and plan
sign-off not asked for."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from temporalio.client import Client

from sitegen.contracts.pipeline import PipelineState
from sitegen.db import queries
from sitegen.db.tables import Customer, CustomerOrder, Project
from sitegen.db.tables_core import OnboardingSubmission
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.api.support import PROJECTS, create, errors_by_field
from tests.conftest import order_body, unique_onboarding, wait_for
from tests.pipeline.helpers import make_stored_form_invalid, order_site, wait_status

# --- 1. one validation pass, one shape ---------------------------------------------------


def broken(form: dict[str, Any]) -> dict[str, Any]:
    """A form error (the email) and a page the landing template does not offer."""
    bad = {**form, "business": {**form["business"], "email": "not-an-email"}}
    bad["pages"] = ["home", "blog"]
    return bad


async def nothing_written(sessions: Any, body: dict[str, Any]) -> None:
    async with sessions() as session:
        order = await session.exec(
            select(CustomerOrder).where(CustomerOrder.external_ref == body["order"]["reference"])
        )
        customer = await session.exec(
            select(Customer).where(Customer.email == body["customer"]["email"].lower())
        )
        project = await session.exec(select(Project).where(Project.name == body["name"]))
        assert order.first() is None and customer.first() is None and project.first() is None


async def test_an_order_hears_every_form_and_page_problem_in_one_answer(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    """Form errors, pages and a taken subdomain come in one 422, in one shape."""
    owner = await create(api, onboarding=unique_onboarding("harbour-physio"))
    form = unique_onboarding("harbour-physio")
    form["subdomain"] = owner["subdomain"]

    body = order_body(broken(form))
    response = await api.post(PROJECTS, json=body)
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}
    assert all(set(e) == {"field", "reason"} for e in response.json()["errors"])
    errors = errors_by_field(response)
    assert set(errors) == {
        "onboarding.business.email",
        "onboarding.pages.1",
        "onboarding.subdomain",
    }
    assert "email" in errors["onboarding.business.email"]
    assert "already used by another site" in errors["onboarding.subdomain"]
    assert "'blog' is not a page of template 'landing'" in errors["onboarding.pages.1"]
    assert "not-an-email" not in response.text  # the rejected value is never echoed
    await nothing_written(sessions, body)

    # A subdomain that is itself malformed is named once, for what is wrong with it.
    malformed = {**form, "subdomain": "Not A Label", "pages": ["home", "blog"]}
    body = order_body(malformed)
    errors = errors_by_field(await api.post(PROJECTS, json=body))
    assert set(errors) == {"onboarding.pages.1", "onboarding.subdomain"}
    assert "already used" not in errors["onboarding.subdomain"]
    await nothing_written(sessions, body)

    # The form fixed, the subdomain is the one problem left, in the same shape.
    body = order_body(form)
    errors = errors_by_field(await api.post(PROJECTS, json=body))
    assert set(errors) == {"onboarding.subdomain"}
    assert "already used by another site" in errors["onboarding.subdomain"]
    await nothing_written(sessions, body)

    form["subdomain"] = f"free-{uuid.uuid4().hex[:8]}"
    project = await create(api, onboarding=form)
    assert project["subdomain"] == form["subdomain"]


async def test_the_onboarding_route_names_fields_from_the_form_and_stores_nothing(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    owner = await create(api, onboarding=unique_onboarding("harbour-physio"))
    project = await create(api)
    url = f"{PROJECTS}/{project['id']}/onboarding"
    form = unique_onboarding("ironbark-software")
    form["subdomain"] = owner["subdomain"]

    response = await api.post(url, json=broken(form))
    errors = errors_by_field(response)
    assert set(errors) == {"business.email", "pages.1", "subdomain"}
    assert "'blog' is not a page" in errors["pages.1"]
    errors = errors_by_field(await api.post(url, json=form))
    assert set(errors) == {"subdomain"}

    async with sessions() as session:
        assert await queries.get_onboarding(session, uuid.UUID(project["id"])) is None
        row = await session.get(Project, uuid.UUID(project["id"]))
    assert row is not None and row.subdomain is None and row.status == "pending"
    after = (await api.get(f"{PROJECTS}/{project['id']}")).json()
    assert after["onboarding_submitted"] is False and after["validation_errors"] == []

    # The owner may resubmit its own subdomain; it is not "taken" by itself.
    mine = unique_onboarding("harbour-physio")
    mine["subdomain"] = owner["subdomain"]
    resubmitted = await api.post(f"{PROJECTS}/{owner['id']}/onboarding", json=mine)
    assert resubmitted.status_code == 201, resubmitted.text
    assert resubmitted.json()["revision"] == 2


# --- 2. the form closes when generation starts ------------------------------------------


async def stored_submission(sessions: Any, project_id: str) -> OnboardingSubmission:
    async with sessions() as session:
        submission = await queries.get_onboarding(session, uuid.UUID(project_id))
    assert submission is not None
    return submission


@pytest.mark.usefixtures("worker")
async def test_resubmitting_the_form_while_generating_is_a_conflict_that_says_why(
    api: httpx.AsyncClient, sessions: Any, started: Callable[[str], None]
) -> None:
    form = unique_onboarding("harbour-physio")
    created = await order_site(api, form)
    started(created["workflow_id"])
    url = f"{PROJECTS}/{created['id']}/onboarding"

    async def generation_began() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"{PROJECTS}/{created['id']}")).json()
        return body if body["status"] in ("generating", "preview_ready") else None

    await wait_for(generation_began, 60, interval=0.02)
    changed = {**form, "business": {**form["business"], "tagline": "A different tagline"}}
    refused = await api.post(url, json=changed)
    assert refused.status_code == 409, refused.text
    answer = refused.json()
    assert answer["field"] == "onboarding"
    assert "the onboarding closed when generation started" in answer["detail"]
    assert "revisions" in answer["detail"]
    submission = await stored_submission(sessions, created["id"])
    assert submission.revision == 1
    assert submission.raw_data["business"]["tagline"] == form["business"]["tagline"]

    ready = await wait_status(api, created["id"])
    assert ready["status"] == "preview_ready"
    again = await api.post(url, json=changed)
    assert again.status_code == 409
    assert "project is preview_ready" in again.json()["detail"]
    assert (await stored_submission(sessions, created["id"])).revision == 1


# --- 3. waiting for the client, or being checked -----------------------------------------


async def invalid_stored_form(api: httpx.AsyncClient, sessions: Any) -> tuple[dict[str, Any], Any]:
    """An order whose stored form has since become invalid (a page the template lacks)."""
    form = unique_onboarding("harbour-physio")
    created = await create(api, onboarding=form)
    await make_stored_form_invalid(sessions, created["id"])
    return created, form


@pytest.mark.usefixtures("worker")
async def test_waiting_for_tells_a_form_to_correct_from_one_being_checked(
    api: httpx.AsyncClient, sessions: Any, temporal: Client, started: Callable[[str], None]
) -> None:
    created, form = await invalid_stored_form(api, sessions)
    started(created["workflow_id"])
    pid = created["id"]
    seen: list[tuple[str, str | None]] = []

    async def snapshot() -> dict[str, Any]:
        body: dict[str, Any] = (await api.get(f"{PROJECTS}/{pid}")).json()
        seen.append((body["status"], body["waiting_for"]))
        return body

    before = await snapshot()
    assert (before["status"], before["waiting_for"]) == ("pending", None)
    assert (await api.post(f"{PROJECTS}/{pid}/generate")).status_code == 202

    async def waiting() -> dict[str, Any] | None:
        body = await snapshot()
        return body if body["waiting_for"] is not None else None

    stuck = await wait_for(waiting, 30, interval=0.02)
    assert stuck["status"] == "onboarding"
    assert stuck["waiting_for"] == "onboarding correction"
    assert [e["field"] for e in stuck["validation_errors"]] == ["pages.1"]
    # Until then nobody was waited for: pending, then onboarding while being checked.
    assert set(seen[:-1]) <= {("pending", None), ("onboarding", None)}
    handle = temporal.get_workflow_handle(created["workflow_id"])

    async def run_waits() -> bool:
        # The row is written inside the step; the run knows a moment later, when it returns.
        state = await handle.query("state", result_type=PipelineState)
        return state.waiting_for == "onboarding correction"

    await wait_for(run_waits, 10)
    # It keeps waiting for the client: nothing moves on its own.
    again = await snapshot()
    assert (again["status"], again["waiting_for"]) == ("onboarding", "onboarding correction")

    form["pages"] = ["home", "faq"]
    fixed = await api.post(f"{PROJECTS}/{pid}/onboarding", json=form)
    assert fixed.status_code == 201 and fixed.json()["workflow_notified"] is True
    seen.clear()

    async def reviewed() -> dict[str, Any] | None:
        body = await snapshot()
        return body if body["status"] == "preview_ready" else None

    ready = await wait_for(reviewed, 60, interval=0.02)
    assert ready["waiting_for"] == "review" and ready["validation_errors"] == []
    # Being checked again and generating: nobody is waited for.
    assert all(w is None for s, w in seen if s == "generating"), seen
    assert all(w in (None, "onboarding correction") for s, w in seen if s == "onboarding"), seen
    assert ("generating", None) in seen, seen


async def test_a_corrected_form_is_no_longer_waited_for(
    api: httpx.AsyncClient,
    sessions: Any,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    started: Callable[[str], None],
) -> None:
    """The correction is in: until the run has checked it, nobody is waited for. A worker
    that is busy or down makes the gap visible."""
    created, form = await invalid_stored_form(api, sessions)
    started(created["workflow_id"])
    pid = created["id"]
    assert (await api.post(f"{PROJECTS}/{pid}/generate")).status_code == 202
    clients = build_clients(settings, engine)

    async def waiting() -> bool:
        body = (await api.get(f"{PROJECTS}/{pid}")).json()
        return body["waiting_for"] == "onboarding correction"

    async with build_worker(temporal, clients, settings, settings.task_queue):
        await wait_for(waiting, 30)
    form["pages"] = ["home", "faq"]
    fixed = await api.post(f"{PROJECTS}/{pid}/onboarding", json=form)
    assert fixed.status_code == 201 and fixed.json()["workflow_notified"] is True
    body = (await api.get(f"{PROJECTS}/{pid}")).json()
    assert body["validation_errors"] == []
    assert body["waiting_for"] != "onboarding correction", body

    async with build_worker(temporal, clients, settings, settings.task_queue):
        ready = await wait_status(api, pid, ("preview_ready",))
    assert ready["waiting_for"] == "review"


# --- 5. two orders racing for one subdomain -----------------------------------------------


async def test_orders_racing_for_a_subdomain_get_one_201_and_one_422(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    for _ in range(5):
        subdomain = f"race-{uuid.uuid4().hex[:8]}"
        bodies = []
        for example in ("harbour-physio", "ironbark-software"):
            form = unique_onboarding(example)
            form["subdomain"] = subdomain
            bodies.append(order_body(form))
        answers = await asyncio.gather(*(api.post(PROJECTS, json=b) for b in bodies))
        assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
        won = next(i for i, a in enumerate(answers) if a.status_code == 201)
        lost = 1 - won
        errors = errors_by_field(answers[lost])
        assert set(errors) in ({"onboarding.subdomain"}, {"subdomain"}), errors
        assert answers[won].json()["subdomain"] == subdomain
        await nothing_written(sessions, bodies[lost])
        async with sessions() as session:
            owners = await session.exec(select(Project).where(Project.subdomain == subdomain))
            assert [p.id for p in owners.all()] == [uuid.UUID(answers[won].json()["id"])]


# --- 6. listing -------------------------------------------------------------------------


@pytest.mark.usefixtures("worker")
async def test_listing_finds_by_slug_and_filters_by_status(
    api: httpx.AsyncClient, started: Callable[[str], None]
) -> None:
    ready = await order_site(api, unique_onboarding("harbour-physio"))
    started(ready["workflow_id"])
    waiting = await create(api, onboarding=unique_onboarding("ironbark-software"))
    await wait_status(api, ready["id"], ("preview_ready",))

    found = await api.get(PROJECTS, params={"slug": ready["slug"]})
    assert found.status_code == 200
    assert [p["id"] for p in found.json()] == [ready["id"]]
    assert found.json()[0]["status"] == "preview_ready"
    assert found.json()[0]["onboarding_submitted"] is True

    listed = (await api.get(PROJECTS, params={"status": "preview_ready", "limit": 500})).json()
    assert ready["id"] in {p["id"] for p in listed}
    assert waiting["id"] not in {p["id"] for p in listed}
    assert {p["status"] for p in listed} == {"preview_ready"}
    pending = (await api.get(PROJECTS, params={"status": "pending", "limit": 500})).json()
    assert waiting["id"] in {p["id"] for p in pending}
    assert ready["id"] not in {p["id"] for p in pending}
    both = await api.get(PROJECTS, params={"slug": waiting["slug"], "status": "pending"})
    assert [p["id"] for p in both.json()] == [waiting["id"]]
    mismatch = await api.get(PROJECTS, params={"slug": ready["slug"], "status": "pending"})
    assert mismatch.json() == []

    assert (await api.get(PROJECTS, params={"slug": f"nobody-{uuid.uuid4().hex}"})).json() == []
    assert set(errors_by_field(await api.get(PROJECTS, params={"status": "sleeping"}))) == {
        "query.status"
    }


# --- 7. plan sign-off that was never asked for --------------------------------------------


@pytest.mark.usefixtures("worker")
async def test_plan_not_requested_cannot_be_approved(
    api: httpx.AsyncClient, started: Callable[[str], None]
) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    started(created["workflow_id"])
    await wait_status(api, created["id"], ("preview_ready",))
    url = f"{PROJECTS}/{created['id']}/plan"
    plan = await api.get(url)
    assert plan.status_code == 200
    assert plan.json()["status"] == "not_requested"
    refused = await api.post(f"{url}/approve", json={"approved_by": "Ana"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "the plan is not waiting for approval"
    # Nothing changed: still the preview, waiting for review.
    after = (await api.get(f"{PROJECTS}/{created['id']}")).json()
    assert (after["status"], after["waiting_for"]) == ("preview_ready", "review")
