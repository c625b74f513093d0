"""Shared moves of the outbox tests: queue a row the way the notify activities do, read it
back, run a sender that only looks at this test's rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle

from sitegen.activities.outbox import Backoff, OutboxActivities
from sitegen.contracts.outbox import OutboxSenderInput, OutboxTotals
from sitegen.db.tables import Notification
from sitegen.integrations.notify.router import make_outbound
from sitegen.outbox import ensure_outbox_sender
from sitegen.settings import Settings
from sitegen.workflows.outbox import OutboxSenderWorkflow


def prefix() -> str:
    """Keys no other test (nor any project) uses: every sender here is scoped to them."""
    return f"test-outbox-{uuid.uuid4().hex[:12]}/"


async def queue(
    sessions: Any,
    key: str,
    recipient: str,
    kind: str = "preview_ready",
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    """An outbox row, inserted as activities/notify.py inserts it (no delivery columns)."""
    stmt = (
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            idempotency_key=key,
            recipient=recipient,
            kind=kind,
            payload=payload
            if payload is not None
            else {"project": "Casa Azul", "customer_name": "Ana", "preview_url": "http://x/"},
        )
        .returning(col(Notification.id))
    )
    async with sessions() as session, session.begin():
        new_id: uuid.UUID = (await session.execute(stmt)).scalar_one()
    return new_id


async def row(sessions: Any, notification_id: uuid.UUID) -> Notification:
    async with sessions() as session:
        found: Notification = (
            await session.exec(select(Notification).where(Notification.id == notification_id))
        ).one()
    return found


def activities(sessions: Any, settings: Settings) -> OutboxActivities:
    return OutboxActivities(
        sessions,
        make_outbound(settings),
        Backoff(
            settings.notify_retry_base_seconds,
            settings.notify_retry_max_seconds,
            settings.notify_max_attempts,
        ),
    )


async def start_sender(
    temporal: Client, settings: Settings, key_prefix: str, **config: Any
) -> WorkflowHandle[OutboxSenderWorkflow, OutboxTotals]:
    return await ensure_outbox_sender(
        temporal,
        settings,
        workflow_id=f"outbox-test-{uuid.uuid4()}",
        config=OutboxSenderInput(
            **{"poll_seconds": settings.notify_poll_seconds, **config}, key_prefix=key_prefix
        ),
    )
