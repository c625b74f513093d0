"""Rate limits counted in Postgres: a customer's new projects per hour and a project's
revisions per day; past a limit a 429 names the field and says when to come back, and a
retry of what was already accepted still passes."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from sitegen.db.tables import AICall
from sitegen.settings import Settings
from tests.api.support import PROJECTS, create
from tests.conftest import app_client, order_body, unique_onboarding, wait_for
from tests.pipeline.helpers import order_site, wait_status


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_projects_per_customer_hour": 2, "rate_revisions_per_project_day": 2}
    )


async def test_new_projects_per_customer_per_hour(api: httpx.AsyncClient) -> None:
    email = f"busy+{uuid.uuid4().hex[:8]}@example.com"

    def order() -> dict[str, object]:
        return order_body(customer={"name": "Busy Bee", "email": email})

    for _ in range(2):
        assert (await api.post(PROJECTS, json=order())).status_code == 201
    refused = await api.post(PROJECTS, json=order())
    assert refused.status_code == 429, refused.text
    assert refused.json()["field"] == "customer.email"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # The same address in capitals is the same customer; another customer is not limited.
    shouted = order_body(customer={"name": "Busy Bee", "email": email.upper()})
    assert (await api.post(PROJECTS, json=shouted)).status_code == 429
    assert (await api.post(PROJECTS, json=order_body())).status_code == 201


@pytest.mark.usefixtures("worker")
async def test_revisions_per_project_per_day(api: httpx.AsyncClient) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    await wait_status(api, created["id"], ("preview_ready",))
    url = f"{PROJECTS}/{created['id']}/revisions"
    first = await api.post(
        url, json={"message": "Change the primary colour to navy"}, headers={"Idempotency-Key": "a"}
    )
    second = await api.post(url, json={"message": "Change the primary colour to teal"})
    assert (first.status_code, second.status_code) == (202, 202)

    async def both_recorded() -> bool:
        return len((await api.get(url)).json()) == 2

    await wait_for(both_recorded, 30)
    third = await api.post(url, json={"message": "Change the primary colour to red"})
    assert third.status_code == 429, third.text
    assert int(third.headers["Retry-After"]) > 3600  # the day's window, not the hour's
    again = await api.post(
        url, json={"message": "Change the primary colour to navy"}, headers={"Idempotency-Key": "a"}
    )
    assert again.status_code == 202  # a retry of an accepted revision is not a new one
    assert again.json()["revision_id"] == first.json()["revision_id"]


async def test_a_change_is_refused_while_the_project_has_used_its_hour_of_ai(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    limited = settings.model_copy(update={"rate_ai_calls_per_project_hour": 3})
    project = await create(api)
    async with engine.begin() as conn:
        for n in range(3):
            await conn.execute(
                insert(AICall).values(
                    project_id=uuid.UUID(project["id"]),
                    idempotency_key=f"k{n}",
                    pipeline_step="content",
                    ai_step="page",
                    model="m",
                    status="paid",
                )
            )
    async with app_client(limited) as limited_api:
        for path in ("revisions", "plan/revisions"):
            refused = await limited_api.post(
                f"{PROJECTS}/{project['id']}/{path}", json={"message": "Add a prices page"}
            )
            assert refused.status_code == 429, (path, refused.text)
            assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    # Another project is not held up by it.
    other = await create(api)
    assert (await api.get(f"{PROJECTS}/{other['id']}/plan")).status_code == 200
