"""What happened to a project, in order: written by Postgres itself (the triggers of migration
0006) whenever a step, the project's status or a revision changes, whoever changed it. The
portal's live progress reads it; an event's id is where a reconnecting reader resumes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, jsonb


class ProjectEvent(SQLModel, table=True):
    __tablename__ = "project_event"
    __table_args__ = (sa.Index("ix_project_event_project_id_tx_id", "project_id", "tx", "id"),)

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(always=True), primary_key=True)
    )
    project_id: uuid.UUID = Field(foreign_key="project.id", ondelete="CASCADE")
    # The writing transaction's id. Ids are handed out before commit, so a lower id may
    # commit after a higher one; readers order by (tx, id) and read only transactions older
    # than any still running (sitegen/db/events.py), so nothing is skipped.
    tx: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger,
            nullable=False,
            server_default=sa.text("pg_current_xact_id()::text::bigint"),
        ),
    )
    # "step", "status" or "revision"
    kind: str = Field(max_length=20)
    data: dict[str, Any] = Field(sa_column=jsonb(nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at())
