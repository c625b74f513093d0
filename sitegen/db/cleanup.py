"""The periodic cleanup's reads and writes: its run records, and what each rule finds due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from sqlmodel import select as sqlmodel_select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.status import ProjectStatus
from sitegen.db.engine import Sessions
from sitegen.db.tables import CleanupRun, Conversation, ConversationMessage, Project

# A conversation that reached its end holds the client's plan: never "abandoned".
FINISHED_CONVERSATION = "completed"


async def start_run(sessions: Sessions, run_key: str, rules: dict[str, int]) -> None:
    """The run's row, once: a retried start finds it there and changes nothing."""
    async with sessions() as session, session.begin():
        await session.execute(
            insert(CleanupRun)
            .values(run_key=run_key, rules=rules)
            .on_conflict_do_nothing(index_elements=["run_key"])
        )


async def finish_run(
    sessions: Sessions, run_key: str, counts: dict[str, int], errors: dict[str, str]
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(CleanupRun)
            .where(col(CleanupRun.run_key) == run_key)
            .values(counts=counts, errors=errors, finished_at=func.now())
        )


async def list_runs(session: AsyncSession, limit: int) -> list[CleanupRun]:
    found = await session.exec(
        sqlmodel_select(CleanupRun)
        .order_by(col(CleanupRun.started_at).desc(), col(CleanupRun.id).desc())
        .limit(limit)
    )
    return list(found.all())


async def cancelled_sites(sessions: Sessions, older_than: timedelta) -> list[str]:
    """The sites (slugs) of projects cancelled longer ago than `older_than`: a cancelled
    project changes no more, so its last update is when it was cancelled."""
    async with sessions() as session:
        found = await session.execute(
            select(col(Project.slug))
            .where(col(Project.status) == ProjectStatus.CANCELLED.value)
            .where(col(Project.updated_at) < func.now() - older_than)
            .order_by(col(Project.updated_at))
        )
        return [str(slug) for slug in found.scalars().all()]


async def delete_abandoned_conversations(
    sessions: Sessions, older_than: timedelta, batch_size: int = 500
) -> int:
    """Delete conversations not finished and untouched (nor any message) for `older_than`,
    their messages with them, in batches; SKIP LOCKED: one in use is left for a later run."""
    idle_since = func.now() - older_than
    total = 0
    while True:
        recent_message = exists().where(
            col(ConversationMessage.conversation_id) == col(Conversation.id),
            col(ConversationMessage.created_at) >= idle_since,
        )
        due: Any = (
            select(col(Conversation.id))
            .where(col(Conversation.status) != FINISHED_CONVERSATION)
            .where(col(Conversation.updated_at) < idle_since)
            .where(~recent_message)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        async with sessions() as session, session.begin():
            result = await session.execute(
                delete(Conversation)
                .where(col(Conversation.id).in_(due.scalar_subquery()))
                .returning(col(Conversation.id))
            )
            removed = len(result.scalars().all())
        total += removed
        if removed < batch_size:
            return total
