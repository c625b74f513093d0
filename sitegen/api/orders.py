"""A paid order becomes a customer (found by email), an order and a project, in the caller's
transaction: the same for an order the agency's backend sends and one Stripe reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.onboarding import slugify
from sitegen.contracts.pipeline import workflow_id_for
from sitegen.contracts.scheduling import OrderPriority
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries
from sitegen.db.tables import CustomerOrder, Project


@dataclass
class NewOrder:
    customer_name: str
    customer_email: str
    reference: str
    name: str
    template_id: str = "landing"
    product_id: str = "website"
    customer_phone: str | None = None
    customer_ref: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    slug: str | None = None
    subdomain: str | None = None
    ai_budget_usd: Decimal | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    priority: str = OrderPriority.NORMAL.value
    scheduled_start: datetime | None = None


async def place_order(session: AsyncSession, new: NewOrder) -> Project:
    """The caller has checked the reference and slug are free; a race on either ends in the
    database's unique constraint, and the caller's transaction rolls back whole."""
    slug = new.slug or await queries.unique_slug(session, slugify(new.name))
    customer_id = await queries.upsert_customer(
        session,
        name=new.customer_name,
        email=new.customer_email,
        phone=new.customer_phone,
        external_ref=new.customer_ref,
    )
    order = CustomerOrder(
        customer_id=customer_id,
        product_id=new.product_id,
        external_ref=new.reference,
        amount_cents=new.amount_cents,
        currency=new.currency,
    )
    session.add(order)
    await session.flush()
    project = Project(
        customer_id=customer_id,
        order_id=order.id,
        name=new.name,
        slug=slug,
        template_id=new.template_id,
        workflow_id=workflow_id_for(slug),
        status=ProjectStatus.PENDING.value,
        ai_budget_usd=new.ai_budget_usd,
        meta=new.meta,
        subdomain=new.subdomain,
        priority=new.priority,
        scheduled_start=new.scheduled_start,
    )
    session.add(project)
    await session.flush()
    return project
