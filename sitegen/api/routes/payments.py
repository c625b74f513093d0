"""Paid orders from Stripe: `POST /api/v1/webhooks/stripe`.

The `Stripe-Signature` header is verified by Stripe's own helper (HMAC-SHA256 of
`{timestamp}.{body}`, compared in constant time, timestamps older than the tolerance
refused) before anything is read. A completed, paid Checkout Session becomes a customer, an
order and a project in one transaction, with the client's onboarding link queued in the
outbox; generation starts when the client sends the form. Stripe delivers at least once and
may race itself: the session id is the order's reference, unique in the database, so a
repeat or a racing twin finds the order already there and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import stripe
import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import SettingsDep, open_session
from sitegen.api.errors import ApiError, Unavailable
from sitegen.api.orders import NewOrder, place_order
from sitegen.contracts.scheduling import OrderPriority
from sitegen.db import queries, tenancy
from sitegen.db.tables import Project
from sitegen.onboarding_links import make_token, onboarding_url, read_token
from sitegen.settings import Settings

router = APIRouter(tags=["payments"])
log = structlog.get_logger()

# A session completed with a card is paid at once; a delayed method (a bank debit) completes
# unpaid and sends async_payment_succeeded when the money arrives.
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
PAID = ("paid", "no_payment_required")


class StripeReceived(BaseModel):
    received: bool = True
    # False: an event type or state sitegen does not act on (answered 200 so Stripe stops).
    handled: bool
    project_id: uuid.UUID | None = None
    duplicate: bool = False
    reason: str | None = None


class _BadSignature(ApiError):
    def __init__(self) -> None:
        super().__init__(400, "the Stripe-Signature header does not verify", "Stripe-Signature")


@router.post(
    "/webhooks/stripe",
    response_model=StripeReceived,
    responses={400: {"description": "Bad signature"}, 503: {"description": "Not configured"}},
)
async def stripe_webhook(request: Request, settings: SettingsDep) -> StripeReceived:
    secret = settings.stripe_webhook_secret
    if secret is None:
        raise Unavailable("Stripe webhooks are not configured (SITEGEN_STRIPE_WEBHOOK_SECRET)")
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(
            payload,
            request.headers.get("stripe-signature"),
            secret.get_secret_value(),
            tolerance=settings.stripe_tolerance_seconds,
        )
    except (ValueError, stripe.SignatureVerificationError):
        # Never more detail: a prober learns nothing about what almost matched.
        raise _BadSignature() from None
    if event.type not in PAID_EVENTS:
        return StripeReceived(handled=False, reason=f"{event.type} is not acted on")
    checkout: dict[str, Any] = event.data.object.to_dict()
    if checkout.get("payment_status") not in PAID:
        return StripeReceived(handled=False, reason="not paid yet")
    new = _order(checkout)
    if isinstance(new, str):
        log.warning("stripe.unusable_session", event_id=event.id, reason=new)
        return StripeReceived(handled=False, reason=new)
    return await _record(request, settings, new, event.id)


def _order(checkout: dict[str, Any]) -> NewOrder | str:
    """The order a session describes, or why it cannot become one."""
    details = checkout.get("customer_details") or {}
    email = details.get("email") or checkout.get("customer_email")
    if not email:
        return "the session has no customer email"
    metadata: dict[str, str] = checkout.get("metadata") or {}
    name = (metadata.get("site_name") or details.get("name") or email.split("@")[0]).strip()
    budget: Decimal | None = None
    if metadata.get("ai_budget_usd"):
        try:
            budget = Decimal(metadata["ai_budget_usd"]).quantize(Decimal("0.01"))
        except InvalidOperation:
            return "metadata ai_budget_usd is not an amount"
        if not Decimal(0) < budget <= 100_000:
            return "metadata ai_budget_usd is out of range"
    locale = metadata.get("locale") or checkout.get("locale") or ""
    currency = checkout.get("currency")
    return NewOrder(
        customer_name=(details.get("name") or name)[:255],
        customer_email=email[:320],
        customer_phone=(details.get("phone") or None),
        customer_ref=checkout.get("customer")
        if isinstance(checkout.get("customer"), str)
        else None,
        reference=str(checkout["id"]),
        product_id=(metadata.get("product_id") or "website")[:100],
        amount_cents=checkout.get("amount_total"),
        currency=currency.upper() if isinstance(currency, str) else None,
        name=name[:255] or "Website",
        template_id=(metadata.get("template_id") or "landing")[:50],
        ai_budget_usd=budget,
        # `priority=rush` in the Checkout Session's metadata: a rush order.
        priority=OrderPriority.RUSH.value
        if metadata.get("priority") == OrderPriority.RUSH
        else OrderPriority.NORMAL.value,
        meta={
            "source": "stripe",
            **({"plan_approval": True} if metadata.get("plan_approval") == "true" else {}),
            **({"locale": "pt-BR"} if locale.lower().startswith("pt") else {}),
        },
    )


async def _record(
    request: Request, settings: Settings, new: NewOrder, event_id: str
) -> StripeReceived:
    # The signature is the caller's credential: what a signed event writes is the agency's.
    try:
        async with open_session(request, tenancy.AGENCY) as session, session.begin():
            earlier = await queries.project_for_order(session, new.reference)
            if earlier is not None:
                return StripeReceived(handled=True, project_id=earlier.id, duplicate=True)
            if await queries.get_template(session, new.template_id) is None:
                # Paid for: the order is kept on the default template, and the agency told.
                log.warning("stripe.unknown_template", template_id=new.template_id)
                new.meta["template_requested"] = new.template_id
                new.template_id = "landing"
            project = await place_order(session, new)
            await _queue_link(session, settings, project, new)
    except IntegrityError:
        # A racing delivery of the same session committed first: it is the one.
        async with open_session(request, tenancy.AGENCY) as session:
            earlier = await queries.project_for_order(session, new.reference)
        if earlier is None:
            # Another order took the same slug at the same moment: Stripe sends it again.
            raise Unavailable("busy: deliver this event again") from None
        return StripeReceived(handled=True, project_id=earlier.id, duplicate=True)
    log.info("stripe.order_created", event_id=event_id, project_id=str(project.id))
    return StripeReceived(handled=True, project_id=project.id)


async def _queue_link(
    session: AsyncSession, settings: Settings, project: Project, new: NewOrder
) -> None:
    token = make_token(settings, project.id)
    expires = read_token(settings, token).expires_at  # as the link itself says it
    assert project.workflow_id is not None
    await queries.queue_notification(
        session,
        project_id=project.id,
        key=f"{project.workflow_id}/onboarding_link",
        recipient=new.customer_email.lower(),
        kind="onboarding_link",
        payload={
            "project": project.name,
            "customer_name": new.customer_name,
            "onboarding_url": onboarding_url(settings, token),
            "link_expires": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d"),
        },
    )
