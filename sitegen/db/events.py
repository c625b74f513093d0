"""Reading a project's events (written by the triggers of migration 0006) in order."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import ProjectEvent


async def events_after(
    session: AsyncSession, project_id: uuid.UUID, after_id: int, limit: int = 200
) -> list[ProjectEvent]:
    found = await session.exec(
        select(ProjectEvent)
        .where(col(ProjectEvent.project_id) == project_id, col(ProjectEvent.id) > after_id)
        .order_by(col(ProjectEvent.id))
        .limit(limit)
    )
    return list(found.all())
