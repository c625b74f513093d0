"""Retention of the AI providers' answers: `ai_call.response` is kept only as long as it is
useful for reading back a paid answer; it may quote a client's content, so it is erased
after that. The row's costs and tokens stay: they are the accounting record."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, null, select
from sqlmodel import col, update

from sitegen.db.engine import Sessions
from sitegen.db.tables import AICall


@dataclass(frozen=True)
class Erased:
    rows: int
    # False: time ran out with rows still due; the caller sweeps again soon.
    done: bool


async def erase_old_responses(
    sessions: Sessions,
    older_than: timedelta,
    *,
    batch_size: int = 500,
    time_budget_seconds: float = 5.0,
) -> Erased:
    """Erase the answers of calls made more than `older_than` ago, in short batches (each its
    own transaction, SKIP LOCKED: a reservation holding a row is never waited for), until none
    is left or the time budget is spent."""
    deadline = time.monotonic() + time_budget_seconds
    total = 0
    while True:
        async with sessions() as session, session.begin():
            due = (
                select(col(AICall.id))
                .where(col(AICall.response).is_not(None))
                .where(col(AICall.created_at) < func.now() - older_than)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
            result = await session.execute(
                update(AICall)
                .where(col(AICall.id).in_(due.scalar_subquery()))
                # SQL NULL: a bare None would store JSON 'null', still IS NOT NULL.
                .values(response=null(), updated_at=func.now())
                .returning(col(AICall.id))
            )
            erased = len(result.scalars().all())
        total += erased
        if erased < batch_size:
            return Erased(total, done=True)
        if time.monotonic() >= deadline:
            return Erased(total, done=False)
