"""Reading a project's events (written by the triggers of migration 0006) in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import ProjectEvent


@dataclass(frozen=True, order=True)
class EventCursor:
    """Where a reader is: the (transaction, id) of the last event it read; as text, `tx-id`
    (the server-sent event's id, which Last-Event-ID sends back)."""

    tx: int = 0
    id: int = 0

    def __str__(self) -> str:
        return f"{self.tx}-{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> EventCursor:
        tx, _, id_ = (text or "").partition("-")
        if _bigint(tx) and _bigint(id_):
            return cls(int(tx), int(id_))
        return cls()  # unknown, out of range or absent: from the start


def _bigint(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) < 2**63


def cursor_of(event: ProjectEvent) -> EventCursor:
    assert event.tx is not None and event.id is not None
    return EventCursor(event.tx, event.id)


async def events_after(
    session: AsyncSession, project_id: uuid.UUID, cursor: EventCursor, limit: int = 200
) -> list[ProjectEvent]:
    """Events after `cursor`, in (transaction, id) order, only from transactions older than
    every one still running: an event a later read could find below the cursor is never
    passed over."""
    settled = sa.cast(
        sa.cast(sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot()), sa.Text), sa.BigInteger
    )
    found = await session.exec(
        select(ProjectEvent)
        .where(col(ProjectEvent.project_id) == project_id)
        .where(sa.tuple_(col(ProjectEvent.tx), col(ProjectEvent.id)) > (cursor.tx, cursor.id))
        .where(col(ProjectEvent.tx) < settled)
        .order_by(col(ProjectEvent.tx), col(ProjectEvent.id))
        .limit(limit)
    )
    return list(found.all())
