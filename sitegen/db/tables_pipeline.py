"""What the pipeline produced: spec versions, step rows, artifacts, revisions, notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.contracts.status import ArtifactType, RevisionSource, RevisionStatus, StepStatus
from sitegen.db.columns import created_at, jsonb, pg_enum, timestamp, updated_at
from sitegen.db.tables_core import _uuid_pk


class SiteSpecRecord(SQLModel, table=True):
    __tablename__ = "site_spec"
    __table_args__ = (sa.UniqueConstraint("project_id", "version"),)

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    spec_data: dict[str, Any] = Field(sa_column=jsonb(nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at())


class PipelineStep(SQLModel, table=True):
    __tablename__ = "pipeline_step"
    __table_args__ = (sa.UniqueConstraint("project_id", "step_key"),)

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    step_key: str = Field(max_length=50)
    step_order: int
    status: StepStatus = Field(
        default=StepStatus.QUEUED,
        sa_column=pg_enum(StepStatus, "step_status", default=StepStatus.QUEUED),
    )
    started_at: datetime | None = Field(default=None, sa_column=timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp())
    # Seed 000 says INTEGER; sub-second steps would all read 0, so keep milliseconds' worth.
    duration_seconds: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(12, 3), nullable=True)
    )
    retry_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    error_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    error_details: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    # What the step reports on success (AI tokens and cost, counts); not in seed 000.
    details: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    # The operator's last decision after the step failed: action, who, when, note.
    decision: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    logs_ref: str | None = Field(default=None, max_length=500)
    output_ref: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


Index_pipeline_status = sa.Index("ix_pipeline_step_status", PipelineStep.__table__.c.status)  # type: ignore[attr-defined]


class Artifact(SQLModel, table=True):
    __tablename__ = "artifact"
    __table_args__ = (sa.UniqueConstraint("project_id", "type", "version"),)

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    type: ArtifactType = Field(sa_column=pg_enum(ArtifactType, "artifact_type"))
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    storage_ref: str = Field(max_length=500)
    inline_content: dict[str, Any] | None = Field(default=None, sa_column=jsonb())
    file_size: int | None = None
    mime_type: str | None = Field(default=None, max_length=100)
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = Field(default=None, sa_column=created_at())


Index_artifact_type = sa.Index("ix_artifact_type", Artifact.__table__.c.type)  # type: ignore[attr-defined]


class RevisionRequest(SQLModel, table=True):
    __tablename__ = "revision_request"

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    source: RevisionSource = Field(sa_column=pg_enum(RevisionSource, "revision_source"))
    # Who asked: a name, an e-mail or a user id (seed 000 has a user UUID; we have no
    # users table yet, and an agency names people).
    requested_by: str | None = Field(default=None, max_length=255)
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    affected_pages: list[str] | None = Field(default=None, sa_column=jsonb())
    status: RevisionStatus = Field(
        default=RevisionStatus.PENDING,
        sa_column=pg_enum(RevisionStatus, "revision_status", default=RevisionStatus.PENDING),
    )
    diff_ref: str | None = Field(default=None, max_length=500)
    applied_at: datetime | None = Field(default=None, sa_column=timestamp())
    applied_commit: str | None = Field(default=None, max_length=100)
    rejection_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # What the AI changed, in a line the client can read.
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


Index_revision_status = sa.Index("ix_revision_request_status", RevisionRequest.__table__.c.status)  # type: ignore[attr-defined]


class SiteVersion(SQLModel, table=True):
    """Every deploy of the preview, with the immutable URL that keeps serving it (seed 004's
    version_history, for sites). Rows are only ever added."""

    __tablename__ = "site_version"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    number: int
    kind: str = Field(max_length=20)
    commit_sha: str = Field(max_length=100)
    deploy_id: str = Field(max_length=100)
    url: str = Field(max_length=500)
    revision_id: uuid.UUID | None = Field(
        default=None, foreign_key="revision_request.id", ondelete="SET NULL"
    )
    rolled_back_to: int | None = None
    requested_by: str | None = Field(default=None, max_length=255)
    spec_version: int = 1
    # Storage keys of the artifacts behind this version (spec, sitemap, content, layout).
    artifacts: dict[str, Any] = Field(sa_column=jsonb(default="{}", nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at())


class Notification(SQLModel, table=True):
    """Outbox: a row per message; the sender (workflows/outbox.py) marks sent_at. The key makes
    a retried enqueue a no-op and lets a receiver recognise a resent message."""

    __tablename__ = "notification"

    id: uuid.UUID = _uuid_pk()
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="CASCADE"
    )
    idempotency_key: str = Field(max_length=200, unique=True)
    recipient: str = Field(max_length=320)
    kind: str = Field(max_length=50)
    payload: dict[str, Any] = Field(sa_column=jsonb(default="{}", nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    sent_at: datetime | None = Field(default=None, sa_column=timestamp())
    # Delivery bookkeeping: failures stay on the row, where an operator can see them.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # When the sender may try next: now for a new row, later after a failure (backoff), or
    # a lease while a sender holds it. Cleared once sent or given up (sent_at, failed_at).
    next_attempt_at: datetime | None = Field(
        default=None,
        sa_column=sa.Column(sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    # Which channel took (or last tried) it: local, smtp or webhook.
    channel: str | None = Field(default=None, max_length=20)
    # Given up for good: the receiver refused it, or attempts ran out.
    failed_at: datetime | None = Field(default=None, sa_column=timestamp())


Index_notification_due = sa.Index(
    "ix_notification_due",
    Notification.__table__.c.next_attempt_at,  # type: ignore[attr-defined]
    postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
)
