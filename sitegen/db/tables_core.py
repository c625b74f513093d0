"""Who bought what: customer, order, project and the onboarding they submitted (seed 000)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.contracts.scheduling import OrderPriority
from sitegen.contracts.status import OrderStatus, ProjectStatus
from sitegen.db.columns import created_at, jsonb, timestamp, updated_at


def _uuid_pk() -> Any:
    return Field(
        default_factory=uuid.uuid4,
        primary_key=True,
        sa_column_kwargs={"server_default": sa.text("gen_random_uuid()")},
    )


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: uuid.UUID = _uuid_pk()
    name: str = Field(max_length=255)
    email: str = Field(max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=40)
    # The payment provider's customer id (e.g. Stripe's cus_...), when there is one.
    external_ref: str | None = Field(default=None, max_length=255)
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class CustomerOrder(SQLModel, table=True):
    """A paid order. Named `customer_order` because `order` is an SQL keyword."""

    __tablename__ = "customer_order"

    id: uuid.UUID = _uuid_pk()
    customer_id: uuid.UUID = Field(foreign_key="customer.id", index=True, ondelete="RESTRICT")
    product_id: str = Field(max_length=100)
    # The agency's or payment provider's order reference; one project per reference.
    external_ref: str = Field(max_length=255, unique=True)
    status: str = Field(
        default=OrderStatus.PAID.value,
        max_length=50,
        sa_column_kwargs={"server_default": OrderStatus.PAID.value},
    )
    amount_cents: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    paid_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in ProjectStatus) + ")",
            name="status",
        ),
        sa.CheckConstraint(
            "priority IN (" + ", ".join(f"'{p.value}'" for p in OrderPriority) + ")",
            name="priority",
        ),
    )

    id: uuid.UUID = _uuid_pk()
    customer_id: uuid.UUID = Field(foreign_key="customer.id", index=True, ondelete="RESTRICT")
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="customer_order.id", unique=True, ondelete="RESTRICT"
    )
    name: str = Field(max_length=255)
    slug: str = Field(max_length=100, unique=True, index=True)
    template_id: str = Field(max_length=50)
    status: str = Field(
        default=ProjectStatus.PENDING.value,
        max_length=50,
        index=True,
        sa_column_kwargs={"server_default": ProjectStatus.PENDING.value},
    )
    repo_url: str | None = Field(default=None, max_length=500)
    preview_url: str | None = Field(default=None, max_length=500)
    subdomain: str | None = Field(default=None, max_length=100, unique=True)
    production_url: str | None = Field(default=None, max_length=500)
    workflow_id: str | None = Field(default=None, max_length=200)
    # The most its AI calls may cost, in USD; None: the setting SITEGEN_AI_BUDGET_USD.
    ai_budget_usd: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(10, 2), nullable=True)
    )
    # Who must act before the project moves on ("onboarding correction", "plan approval",
    # "review", "operator decision on build_and_test"); NULL while sitegen is working.
    waiting_for: str | None = Field(default=None, max_length=100)
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb(default="{}", nullable=False, name="metadata")
    )
    # A rush order's run is served before normal ones whenever the workers have a backlog.
    priority: str = Field(
        default=OrderPriority.NORMAL.value,
        max_length=10,
        sa_column_kwargs={"server_default": OrderPriority.NORMAL.value},
    )
    # When its run was asked to start (a delayed start); None: as soon as it was asked.
    scheduled_start: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())
    delivered_at: datetime | None = Field(default=None, sa_column=timestamp())


class OnboardingSubmission(SQLModel, table=True):
    """One per project (seed 000: 1:1); a corrected form replaces the previous one."""

    __tablename__ = "onboarding_submission"

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(
        foreign_key="project.id", unique=True, index=True, ondelete="CASCADE"
    )
    raw_data: dict[str, Any] = Field(sa_column=jsonb(nullable=False))
    assets_refs: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=jsonb(default="[]", nullable=False)
    )
    is_valid: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    validation_errors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=jsonb(default="[]", nullable=False)
    )
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())
