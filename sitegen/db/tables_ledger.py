"""The cost ledger: one row per AI request, reserved before it is sent, settled after."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, jsonb, updated_at
from sitegen.db.tables_core import _uuid_pk


def _usd() -> Any:
    return sa.Column(sa.Numeric(12, 6), nullable=False, server_default="0")


def _count() -> Any:
    return sa.Column(sa.Integer, nullable=False, server_default="0")


class AICall(SQLModel, table=True):
    __tablename__ = "ai_call"
    # Keys are made from workflow and activity ids, unique in practice; scoped to the project
    # all the same, so no collision could ever hand one client's answer to another.
    __table_args__ = (
        sa.UniqueConstraint("project_id", "idempotency_key"),
        # The hourly allowance counts a project's recent calls.
        sa.Index("ix_ai_call_project_id_created_at", "project_id", "created_at"),
    )

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # The same on every attempt of one step's request: a retry finds what was paid for.
    idempotency_key: str = Field(max_length=400)
    pipeline_step: str = Field(max_length=50)
    ai_step: str = Field(max_length=50)
    revision_id: uuid.UUID | None = Field(default=None, index=True)
    attempt: int = Field(default=1)
    model: str = Field(max_length=100)
    # An AICallStatus (sitegen/db/costs.py), which also says what counts against a budget.
    status: str = Field(max_length=20)
    reserved_usd: Decimal = Field(default=Decimal(0), sa_column=_usd())
    cost_usd: Decimal = Field(default=Decimal(0), sa_column=_usd())
    input_tokens: int = Field(default=0, sa_column=_count())
    output_tokens: int = Field(default=0, sa_column=_count())
    cache_read_tokens: int = Field(default=0, sa_column=_count())
    cache_write_tokens: int = Field(default=0, sa_column=_count())
    latency_ms: int = Field(default=0, sa_column=_count())
    request_id: str | None = Field(default=None, max_length=100)
    error: str | None = Field(default=None, max_length=200)
    # The provider's answer, read back instead of paying again (never sent to the API).
    response: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())
