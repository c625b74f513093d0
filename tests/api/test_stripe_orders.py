"""Paid orders from Stripe: a signed checkout.session.completed becomes one customer, order and
project, whatever Stripe repeats or races; a bad signature writes nothing; the client's
onboarding link (e-mailed through the outbox) takes the form and starts generation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import col, func, select

from sitegen.api.app import create_app
from sitegen.db.tables import Customer, CustomerOrder, Notification, Project
from sitegen.onboarding_links import make_token
from sitegen.settings import Settings
from tests.conftest import ADMIN_HEADERS, unique_onboarding
from tests.pipeline.helpers import wait_status

SECRET = "whsec_test_0123456789abcdefABCDEF"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"stripe_webhook_secret": SecretStr(SECRET)})


def checkout_event(email: str, **session: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:12]
    obj = {
        "id": f"cs_test_{tag}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 149000,
        "currency": "brl",
        "customer": f"cus_{tag}",
        "customer_details": {"email": email, "name": "Ana Souza", "phone": None},
        "metadata": {"template_id": "landing", "site_name": "Padaria Pão e Afeto"},
        "locale": "pt-BR",
        **session,
    }
    return {
        "id": f"evt_{tag}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = at if at is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"stripe-signature": f"t={stamp},v1={mac}", "content-type": "application/json"}


async def deliver(api: httpx.AsyncClient, event: dict[str, Any], **sign: Any) -> httpx.Response:
    body = json.dumps(event).encode()
    return await api.post("/api/v1/webhooks/stripe", content=body, headers=signed(body, **sign))


async def counts(sessions: Any, email: str) -> tuple[int, int, int, int]:
    async with sessions() as session:
        customer = (
            await session.exec(select(Customer).where(Customer.email == email))
        ).one_or_none()
        if customer is None:
            return 0, 0, 0, 0
        orders = (
            await session.exec(select(func.count()).where(CustomerOrder.customer_id == customer.id))
        ).one()
        projects = (
            await session.exec(select(Project).where(Project.customer_id == customer.id))
        ).all()
        notes = (
            await session.exec(
                select(func.count()).where(
                    col(Notification.project_id).in_([p.id for p in projects])
                )
            )
        ).one()
        return 1, orders, len(projects), notes


def email() -> str:
    return f"ana+{uuid.uuid4().hex[:10]}@example.com"


async def test_a_paid_session_is_one_order_however_often_stripe_sends_it(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    who = email()
    event = checkout_event(who)
    first = await deliver(api, event)
    assert first.status_code == 200, first.text
    assert first.json()["handled"] and not first.json()["duplicate"]
    # Sent again, and five times at once: the same project, nothing new.
    again = await deliver(api, event)
    raced = await asyncio.gather(*(deliver(api, event) for _ in range(5)))
    for answer in (again, *raced):
        assert answer.status_code == 200, answer.text
        assert answer.json()["project_id"] == first.json()["project_id"]
        assert answer.json()["duplicate"]
    assert await counts(sessions, who) == (1, 1, 1, 1)

    async with sessions() as session:
        project = (
            await session.exec(select(Project).where(Project.id == first.json()["project_id"]))
        ).one()
        order = (
            await session.exec(select(CustomerOrder).where(CustomerOrder.id == project.order_id))
        ).one()
        note = (
            await session.exec(select(Notification).where(Notification.project_id == project.id))
        ).one()
    assert (project.status, project.name, project.template_id) == (
        "pending",
        "Padaria Pão e Afeto",
        "landing",
    )
    assert (order.external_ref, order.amount_cents, order.currency) == (
        event["data"]["object"]["id"],
        149000,
        "BRL",
    )
    assert project.meta["locale"] == "pt-BR"
    assert (note.kind, note.recipient) == ("onboarding_link", who)
    assert "/portal/start/" in note.payload["onboarding_url"]


async def test_racing_first_deliveries_make_one_order(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    who = email()
    event = checkout_event(who)
    answers = await asyncio.gather(*(deliver(api, event) for _ in range(6)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert len({a.json()["project_id"] for a in answers}) == 1
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    assert await counts(sessions, who) == (1, 1, 1, 1)


async def test_a_bad_signature_is_a_400_and_writes_nothing(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    who = email()
    event = checkout_event(who)
    body = json.dumps(event).encode()
    attempts = [
        signed(body, secret="whsec_someone_else"),
        signed(body, at=int(time.time()) - 3600),  # replayed an hour later
        {"content-type": "application/json"},  # no header
        signed(b"{}"),  # signed for another body
    ]
    for headers in attempts:
        answer = await api.post("/api/v1/webhooks/stripe", content=body, headers=headers)
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == "Stripe-Signature"
        assert SECRET not in answer.text
    assert await counts(sessions, who) == (0, 0, 0, 0)


async def test_events_it_does_not_act_on_are_200_and_ignored(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    who = email()
    refund = {**checkout_event(who), "type": "charge.refunded"}
    unpaid = checkout_event(who, payment_status="unpaid")
    no_email = checkout_event(who, customer_details={"email": None})
    for event in (refund, unpaid, no_email):
        answer = await deliver(api, event)
        assert answer.status_code == 200 and answer.json()["handled"] is False, answer.text
    assert await counts(sessions, who) == (0, 0, 0, 0)
    # The money arrived later for the unpaid one.
    paid_later = {
        **unpaid,
        "type": "checkout.session.async_payment_succeeded",
        "data": {"object": {**unpaid["data"]["object"], "payment_status": "paid"}},
    }
    assert (await deliver(api, paid_later)).json()["handled"] is True
    assert await counts(sessions, who) == (1, 1, 1, 1)


async def test_without_a_secret_the_webhook_is_unavailable(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"stripe_webhook_secret": None}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=ADMIN_HEADERS) as api,
    ):
        answer = await deliver(api, checkout_event(email()))
    assert answer.status_code == 503


@pytest.fixture
async def paid_project(api: httpx.AsyncClient) -> AsyncIterator[str]:
    answer = await deliver(api, checkout_event(email()))
    yield str(answer.json()["project_id"])


@pytest.mark.usefixtures("worker")
async def test_the_onboarding_link_takes_the_form_and_starts_generation(
    api: httpx.AsyncClient, settings: Settings, paid_project: str
) -> None:
    token = make_token(settings, uuid.UUID(paid_project))
    url = f"/api/v1/onboarding/{token}"
    shown = await api.get(url)
    assert shown.status_code == 200 and shown.json()["open"] is True
    assert "email" not in shown.text  # the link shows the project, not the customer

    form = unique_onboarding("padaria-pao-e-afeto")
    bad = await api.post(url, json={**form, "business": {**form["business"], "email": "nope"}})
    assert bad.status_code == 422 and "business.email" in bad.text
    sent = await api.post(url, json=form)
    assert sent.status_code == 201, sent.text
    assert sent.json()["generation_started"] is True
    project = await wait_status(api, paid_project, ("preview_ready",), seconds=90)
    assert project["subdomain"] == form["subdomain"]
    closed = await api.post(url, json=form)
    assert closed.status_code == 409  # changes are revisions now


async def test_a_link_that_is_not_ours_or_expired_opens_nothing(
    api: httpx.AsyncClient, settings: Settings, paid_project: str
) -> None:
    project_id = uuid.UUID(paid_project)
    token = make_token(settings, project_id)
    body, stamp, mac = token.split(".")
    other = uuid.uuid4().hex
    for forged in (
        f"{other}.{stamp}.{mac}",  # another project under this signature
        f"{body}.{int(stamp) + 86400}.{mac}",  # a longer life
        f"{body}.{stamp}.{mac[:-2]}AA",
        "not-a-token",
    ):
        assert (await api.get(f"/api/v1/onboarding/{forged}")).status_code == 404, forged
        assert (await api.post(f"/api/v1/onboarding/{forged}", json={})).status_code == 404
    expired = make_token(settings, project_id, now=time.time() - 100 * 86400)
    gone = await api.get(f"/api/v1/onboarding/{expired}")
    assert gone.status_code == 410 and "expired" in gone.text
