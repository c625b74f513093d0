"""Delivering the outbox: claim due rows, then send each one through its channel.

At-least-once: `sent_at` is set in the same transaction that holds the row's lock while the
channel sends, and committed only after the channel accepted the message. A worker that dies
in between leaves the row unsent, so it is sent again with the same delivery id (Message-ID,
`X-Sitegen-Delivery`), which is how a receiver recognises the duplicate.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, or_, text
from sqlmodel import col, select, update
from temporalio import activity

from sitegen.activities.support import Sessions, classify, heartbeating
from sitegen.contracts.outbox import (
    ClaimedNotifications,
    ClaimInput,
    SendInput,
    SendOutcome,
    SendStatus,
)
from sitegen.db.tables import Notification
from sitegen.failpoints import AFTER_SEND, failpoint
from sitegen.integrations.notify.base import DeliveryFailed, Envelope, delivery_id
from sitegen.integrations.notify.messages import compose
from sitegen.integrations.notify.router import Outbound

log = structlog.get_logger()

_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def redact(message: str) -> str:
    """Errors are stored and shown to operators; a server may quote the address it refused."""
    return _ADDRESS.sub("<address>", message)[:500]


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 30
    max_seconds: float = 3600
    max_attempts: int = 15

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)
        # A little jitter, so rows that failed together do not all come back together.
        return timedelta(seconds=min(seconds * random.uniform(1.0, 1.1), self.max_seconds))


class OutboxActivities:
    def __init__(self, sessions: Sessions, outbound: Outbound, backoff: Backoff) -> None:
        self.sessions = sessions
        self.outbound = outbound
        self.backoff = backoff

    @activity.defn
    async def claim_due_notifications(self, claim: ClaimInput) -> ClaimedNotifications:
        """Lease up to `limit` due rows: SKIP LOCKED and the lease keep two senders off the
        same row; a lease left by a dead sender simply runs out."""
        due = (
            select(Notification.id)
            .where(col(Notification.sent_at).is_(None))
            .where(col(Notification.failed_at).is_(None))
            # NULL too: a row inserted with an explicit NULL (not the default) is still due.
            .where(
                or_(
                    col(Notification.next_attempt_at).is_(None),
                    col(Notification.next_attempt_at) <= func.now(),
                )
            )
            .order_by(col(Notification.next_attempt_at), col(Notification.created_at))
            .limit(claim.limit)
            .with_for_update(skip_locked=True)
        )
        if claim.key_prefix:
            due = due.where(
                col(Notification.idempotency_key).startswith(claim.key_prefix, autoescape=True)
            )
        lease = func.now() + timedelta(seconds=claim.lease_seconds)
        stmt = (
            update(Notification)
            .where(col(Notification.id).in_(due.scalar_subquery()))
            .values(next_attempt_at=lease)
            .returning(col(Notification.id))
        )
        try:
            async with self.sessions() as session, session.begin():
                ids = list((await session.execute(stmt)).scalars().all())
        except Exception as exc:
            raise classify(exc) from exc
        return ClaimedNotifications(notification_ids=ids)

    @activity.defn
    async def send_notification(self, request: SendInput) -> SendOutcome:
        try:
            async with heartbeating(), self.sessions() as session, session.begin():
                row = (
                    await session.exec(
                        select(Notification)
                        .where(Notification.id == request.notification_id)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if row is None or row.sent_at is not None or row.failed_at is not None:
                    # Gone, done, or locked by a sender that is sending it right now.
                    return SendOutcome(
                        notification_id=request.notification_id, status=SendStatus.SKIPPED
                    )
                envelope = self._envelope(row, await self._locale(session, row.project_id))
                return await self._deliver(row, envelope)
        except Exception as exc:
            raise classify(exc) from exc

    async def _deliver(self, row: Notification, envelope: Envelope) -> SendOutcome:
        channel = self.outbound.channel_for(row.recipient)
        row.attempts += 1
        row.channel = channel.name
        outcome = SendOutcome(
            notification_id=row.id,
            status=SendStatus.SENT,
            attempts=row.attempts,
            channel=channel.name,
            kind=row.kind,
        )
        now = datetime.now(UTC)
        try:
            outcome.receipt = await channel.send(envelope)
        except DeliveryFailed as exc:
            row.last_error = outcome.error = redact(str(exc))
            if exc.permanent or row.attempts >= self.backoff.max_attempts:
                row.failed_at, row.next_attempt_at = now, None
                outcome.status = SendStatus.FAILED
                log.warning(
                    "notification.failed",
                    notification_id=str(row.id),
                    kind=row.kind,
                    attempts=row.attempts,
                    permanent=exc.permanent,
                )
            else:
                row.next_attempt_at = now + self.backoff.delay(row.attempts)
                outcome.status, outcome.next_attempt_at = SendStatus.RETRY, row.next_attempt_at
                log.info(
                    "notification.retry",
                    notification_id=str(row.id),
                    kind=row.kind,
                    attempts=row.attempts,
                    channel=channel.name,
                )
            return outcome
        # The window at-least-once is about: sent, not yet recorded.
        failpoint(AFTER_SEND)
        row.sent_at, row.next_attempt_at = now, None
        log.info(
            "notification.sent",
            notification_id=str(row.id),
            kind=row.kind,
            attempts=row.attempts,
            channel=channel.name,
        )
        return outcome

    async def _locale(self, session: Any, project_id: uuid.UUID | None) -> str | None:
        if project_id is None:
            return None
        # The form's language; before there is a form, the one the order asked for.
        result = await session.execute(
            text(
                "SELECT COALESCE("
                "(SELECT raw_data->>'locale' FROM onboarding_submission WHERE project_id = :p), "
                "(SELECT metadata->>'locale' FROM project WHERE id = :p))"
            ),
            {"p": project_id},
        )
        locale: str | None = result.scalar_one_or_none()
        return locale

    @staticmethod
    def _envelope(row: Notification, locale: str | None) -> Envelope:
        content = compose(row.kind, row.payload, locale)
        return Envelope(
            delivery_id=delivery_id(row.idempotency_key),
            kind=row.kind,
            recipient=row.recipient,
            subject=content.subject,
            text=content.text,
            html=content.html,
            event={
                "kind": row.kind,
                "notification_id": str(row.id),
                "project_id": str(row.project_id) if row.project_id else None,
                "created_at": row.created_at.isoformat() if row.created_at else None,
                "subject": content.subject,
                "text": content.text,
                "payload": row.payload,
            },
        )
