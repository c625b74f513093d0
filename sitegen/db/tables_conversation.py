"""The discovery conversation: one per project, and its messages in order (seed 001)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, jsonb, updated_at
from sitegen.db.tables_core import _uuid_pk


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"

    id: uuid.UUID = _uuid_pk()
    # One conversation per project, as there is one conversation workflow per project.
    project_id: uuid.UUID = Field(
        foreign_key="project.id", unique=True, index=True, ondelete="CASCADE"
    )
    # A ConversationPhase: discovery, planning, iteration.
    phase: str = Field(max_length=20)
    # A ConversationStatus: active, completed, abandoned.
    status: str = Field(max_length=20)
    locale: str = Field(max_length=10)
    # The business plan and the prefilled onboarding once the interview has enough.
    plan: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    onboarding: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class ConversationMessage(SQLModel, table=True):
    __tablename__ = "conversation_message"
    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "seq"),
        # A retried request finds the turn it already stored instead of storing it again.
        sa.UniqueConstraint("conversation_id", "role", "idempotency_key"),
    )

    id: uuid.UUID = _uuid_pk()
    conversation_id: uuid.UUID = Field(
        foreign_key="conversation.id", index=True, ondelete="CASCADE"
    )
    # Repeated from the conversation so the tenant policy reads like every other table's.
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # Position in the conversation, from 1; the order messages are shown in.
    seq: int
    # "user", "assistant" or "system".
    role: str = Field(max_length=20)
    content: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    token_count: int | None = None
    model: str | None = Field(default=None, max_length=100)
    idempotency_key: str = Field(max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at())
