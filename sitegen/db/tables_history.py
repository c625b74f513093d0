"""`version_history` (seed 004): every change to a project's spec, sitemap, wireframe, style
guide or copy, with who made it, what changed (a unified diff) and why. A revert is a new
entry pointing at the one it restored; nothing here is ever rewritten."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at
from sitegen.db.tables_core import _uuid_pk

HISTORY_ARTIFACTS = ("spec", "sitemap", "wireframe", "style_guide", "content")


class VersionHistory(SQLModel, table=True):
    __tablename__ = "version_history"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "version"),
        # A retried activity stores the same artifact version again: one entry, never two.
        sa.UniqueConstraint("project_id", "artifact", "artifact_version"),
        sa.CheckConstraint(
            "artifact IN (" + ", ".join(f"'{a}'" for a in HISTORY_ARTIFACTS) + ")",
            name="artifact",
        ),
    )

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # The project's history number, counted from 1 across every artifact.
    version: int
    artifact: str = Field(max_length=20)
    artifact_version: int
    author: str = Field(max_length=255)
    message: str = Field(max_length=500)
    diff: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    storage_ref: str = Field(max_length=500)
    # Of the stored bytes: the same version stored again with other bytes (an operator's
    # retry of a step) updates its entry instead of keeping a stale diff.
    sha256: str = Field(max_length=64)
    reverted_from: int | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at())
