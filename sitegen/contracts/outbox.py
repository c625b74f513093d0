"""Inputs and outputs of the outbox sender (workflows/outbox.py, activities/outbox.py).

Only ids, counts and channel receipts cross Temporal: addresses and message bodies stay in
the notification table and are read by the send activity itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

OUTBOX_WORKFLOW_NAME = "OutboxSender"


def outbox_workflow_id(task_queue: str) -> str:
    """One sender per deployment; a deployment is a task queue, so two deployments sharing a
    Temporal namespace never share (or fight over) a sender."""
    return f"outbox-sender-{task_queue}"


class OutboxTotals(BaseModel):
    sent: int = 0
    retried: int = 0
    failed: int = 0


class OutboxSenderInput(BaseModel):
    poll_seconds: float = Field(default=3.0, gt=0)
    batch_size: int = Field(default=20, ge=1)
    # Loops per run before continue-as-new, so an idle sender's history stays small.
    loops_per_run: int = Field(default=100, ge=1)
    # How long a claimed row is kept from other senders while this one works on it.
    lease_seconds: float = Field(default=300, gt=0)
    # Only rows whose idempotency key starts with this ("" = every row). Keys begin with
    # the project's workflow id, so this can drain one project; tests use it to stay apart.
    key_prefix: str = ""
    # Carried across continue-as-new.
    totals: OutboxTotals = Field(default_factory=OutboxTotals)
    # When expired AI answers were last swept (None: never, so the run sweeps first thing).
    retention_swept_at: datetime | None = None


class ClaimInput(BaseModel):
    limit: int = Field(ge=1)
    lease_seconds: float = Field(gt=0)
    key_prefix: str = ""


class ClaimedNotifications(BaseModel):
    notification_ids: list[uuid.UUID] = Field(default_factory=list)


class SendInput(BaseModel):
    notification_id: uuid.UUID


class SendStatus(StrEnum):
    SENT = "sent"
    # Failed this time; next_attempt_at says when it is tried again.
    RETRY = "retry"
    # Refused for good, or out of attempts: failed_at is set, it is not tried again.
    FAILED = "failed"
    # Already sent, given up on, gone, or being sent by another sender right now.
    SKIPPED = "skipped"


class SendOutcome(BaseModel):
    notification_id: uuid.UUID
    status: SendStatus
    attempts: int = 0
    channel: str | None = None
    kind: str | None = None
    # Where it went, without personal data: a .eml path, an SMTP host, a webhook's origin.
    receipt: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


class WakeUp(BaseModel):
    """Look for due notifications now instead of at the end of the current poll."""

    reason: str = ""


class StopSender(BaseModel):
    reason: str = ""
