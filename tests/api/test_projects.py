"""POST and GET /api/v1/projects: happy paths, 404, 409 and 422, one transaction each.

No worker runs here: a started generation just waits on its task queue, and the `started`
fixture terminates it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from temporalio.client import Client, WorkflowExecutionStatus

from sitegen.db.tables import Customer, CustomerOrder, Project
from tests.api.support import PROJECTS, create, errors_by_field, tag
from tests.conftest import order_body, unique_onboarding

# --- POST /projects ------------------------------------------------------------------------


async def test_create_without_onboarding(api: httpx.AsyncClient, sessions: Any) -> None:
    body = order_body(name=f"Harbour Physiotherapy {tag()}")
    response = await api.post(PROJECTS, json=body)
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["slug"] == body["name"].lower().replace(" ", "-")
    assert project["workflow_id"] == f"site-{project['slug']}"
    assert project["status"] == "pending"
    assert project["template_id"] == "landing"
    assert project["onboarding_submitted"] is False
    assert project["created_at"] is not None
    async with sessions() as session:
        order = await session.get(CustomerOrder, uuid.UUID(project["order_id"]))
        customer = await session.get(Customer, uuid.UUID(project["customer_id"]))
    assert order is not None and order.external_ref == body["order"]["reference"]
    assert order.amount_cents == 149000 and order.currency == "BRL"
    assert customer is not None and customer.email == body["customer"]["email"]


async def test_create_with_onboarding(api: httpx.AsyncClient) -> None:
    project = await create(api, onboarding=unique_onboarding("padaria-pao-e-afeto"))
    assert project["onboarding_submitted"] is True
    fetched = (await api.get(f"{PROJECTS}/{project['id']}")).json()
    assert fetched["onboarding_submitted"] is True
    assert fetched["status"] == "pending"


async def test_same_customer_email_reuses_the_customer(api: httpx.AsyncClient) -> None:
    email = f"Repeat+{tag()}@Example.com"
    first = await create(api, customer={"name": "Ana", "email": email})
    second = await create(api, customer={"name": "Ana", "email": email.lower()})
    assert first["customer_id"] == second["customer_id"]
    assert first["order_id"] != second["order_id"]


async def test_slug_is_derived_and_made_unique(api: httpx.AsyncClient) -> None:
    name = f"Padaria São João {tag()}"
    first = await create(api, name=name)
    second = await create(api, name=name)
    third = await create(api, name=name)
    assert first["slug"] == f"padaria-sao-joao-{name.rsplit(' ', 1)[1]}"
    assert second["slug"] == f"{first['slug']}-2"
    assert third["slug"] == f"{first['slug']}-3"


async def test_unique_slug_respects_the_length_limit(api: httpx.AsyncClient) -> None:
    name = f"{tag()} " + "very long business name " * 4
    first = await create(api, name=name)
    second = await create(api, name=name)
    assert len(first["slug"]) <= 50 and len(second["slug"]) <= 50
    assert second["slug"].endswith("-2") and second["slug"] != first["slug"]


async def test_same_name_at_the_same_time_gets_distinct_slugs(api: httpx.AsyncClient) -> None:
    name = f"Concurrent Cafe {tag()}"
    responses = await asyncio.gather(
        *(api.post(PROJECTS, json=order_body(name=name)) for _ in range(4))
    )
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["slug"] for r in responses}) == 4


async def test_explicit_slug(api: httpx.AsyncClient) -> None:
    slug = f"my-site-{tag()}"
    project = await create(api, slug=slug)
    assert project["slug"] == slug
    duplicate = await api.post(PROJECTS, json=order_body(slug=slug))
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "slug"
    assert slug in duplicate.json()["detail"]


@pytest.mark.parametrize("slug", ["My-Site", "ab", "-site", "site-", "a_b_c", "x" * 51])
async def test_explicit_slug_must_be_a_slug(api: httpx.AsyncClient, slug: str) -> None:
    assert "slug" in errors_by_field(await api.post(PROJECTS, json=order_body(slug=slug)))


async def test_duplicate_order_reference(api: httpx.AsyncClient, sessions: Any) -> None:
    body = order_body()
    assert (await api.post(PROJECTS, json=body)).status_code == 201
    # Same order again, from a customer we have never seen: rejected, nothing written.
    again = order_body(order=body["order"])
    response = await api.post(PROJECTS, json=again)
    assert response.status_code == 409
    assert response.json()["field"] == "order.reference"
    async with sessions() as session:
        found = await session.exec(
            select(Customer).where(Customer.email == again["customer"]["email"])
        )
        assert found.first() is None
        projects = await session.exec(select(Project).where(Project.name == again["name"]))
        assert projects.first() is None


async def test_racing_duplicate_orders_leave_nothing_half_written(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    """Requests that all pass the up-front checks and collide at the unique index: one
    wins; every loser's customer, order and project rows are rolled back."""
    reference = f"ord_race_{tag()}"
    bodies = [order_body(order={"reference": reference}) for _ in range(5)]
    responses = await asyncio.gather(*(api.post(PROJECTS, json=b) for b in bodies))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409], [r.text for r in responses]
    emails = [b["customer"]["email"] for b in bodies]
    names = [b["name"] for b in bodies]
    async with sessions() as session:
        customers = (
            await session.exec(select(Customer).where(col(Customer.email).in_(emails)))
        ).all()
        projects = (await session.exec(select(Project).where(col(Project.name).in_(names)))).all()
        orders = (
            await session.exec(select(CustomerOrder).where(CustomerOrder.external_ref == reference))
        ).all()
    assert len(customers) == len(projects) == len(orders) == 1
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert projects[0].id == uuid.UUID(winner["id"])


@pytest.mark.parametrize("template_id", ["no-such-template", "../landing", "LANDING"])
async def test_unknown_template(api: httpx.AsyncClient, template_id: str) -> None:
    response = await api.post(PROJECTS, json=order_body(template_id=template_id))
    assert "is not installed" in errors_by_field(response)["template_id"]


async def test_bad_onboarding_inside_create(api: httpx.AsyncClient, sessions: Any) -> None:
    onboarding = unique_onboarding("harbour-physio")
    onboarding["business"]["email"] = "appointments-at-harbour"
    onboarding["style"]["primary_color"] = "teal"
    onboarding["services"][2]["name"] = "x" * 500
    onboarding["assets"] = [{"kind": "logo", "alt": "Logo"}]
    body = order_body(onboarding)
    errors = errors_by_field(await api.post(PROJECTS, json=body))
    assert set(errors) == {
        "onboarding.business.email",
        "onboarding.style.primary_color",
        "onboarding.services.2.name",
        "onboarding.assets.0",
    }
    assert "email" in errors["onboarding.business.email"]
    assert "exactly one" in errors["onboarding.assets.0"]
    async with sessions() as session:
        assert (
            await session.exec(select(Project).where(Project.name == body["name"]))
        ).first() is None


async def test_create_body_errors_name_their_fields(api: httpx.AsyncClient) -> None:
    body = order_body()
    body["customer"]["email"] = "nope"
    body["order"]["amount_cents"] = -5
    body["order"]["currency"] = "brl"
    body["surprise"] = 1
    del body["name"]
    errors = errors_by_field(await api.post(PROJECTS, json=body))
    assert set(errors) == {
        "customer.email",
        "order.amount_cents",
        "order.currency",
        "surprise",
        "name",
    }


async def test_start_generation_needs_onboarding(api: httpx.AsyncClient) -> None:
    response = await api.post(PROJECTS, json=order_body(start_generation=True))
    assert "onboarding" in errors_by_field(response)["start_generation"]


async def test_create_and_start_generation(
    api: httpx.AsyncClient, temporal: Client, started: Callable[[str], None]
) -> None:
    project = await create(
        api, onboarding=unique_onboarding("ironbark-software"), start_generation=True
    )
    started(project["workflow_id"])
    description = await temporal.get_workflow_handle(project["workflow_id"]).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.workflow_type == "SiteGenerationWorkflow"


# --- GET /projects/{id} --------------------------------------------------------------------


async def test_get_project(api: httpx.AsyncClient) -> None:
    created = await create(api)
    response = await api.get(f"{PROJECTS}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_get_unknown_project(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{PROJECTS}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "project not found"}


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "%00", "x" * 5000])
async def test_get_non_uuid(api: httpx.AsyncClient, bad_id: str) -> None:
    errors = errors_by_field(await api.get(f"{PROJECTS}/{bad_id}"))
    assert list(errors) == ["path.project_id"]
    assert "UUID" in errors["path.project_id"]
