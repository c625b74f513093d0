"""What each run of the periodic cleanup did: the agency's record, not a tenant's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, jsonb, timestamp
from sitegen.db.tables_core import _uuid_pk


class CleanupRun(SQLModel, table=True):
    __tablename__ = "cleanup_run"

    id: uuid.UUID = _uuid_pk()
    # The run's workflow id (the schedule names each run by its time): one row per run.
    run_key: str = Field(max_length=200, unique=True)
    # Each rule's age in days as the run was given them (0: off).
    rules: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb(default="{}", nullable=False)
    )
    # Per rule, what it removed; a rule that failed has an error instead.
    counts: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb(default="{}", nullable=False)
    )
    errors: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb(default="{}", nullable=False)
    )
    started_at: datetime | None = Field(default=None, sa_column=created_at())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp())
