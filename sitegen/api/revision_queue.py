"""Queueing a change on a project's workflow as a revision: what a client's request and a
revert from the version history share (the id from an idempotency key, the day's and the
hour's allowances, the update)."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from sitegen.api.messages import send_update
from sitegen.api.rate_limits import check_ai_allowance, check_new_revision
from sitegen.contracts.review import ChangeQueued, RevisionRequested
from sitegen.db.tables import Project
from sitegen.settings import Settings


def revision_id_for(project_id: uuid.UUID, idempotency_key: str | None) -> uuid.UUID:
    if idempotency_key:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"sitegen:{project_id}:{idempotency_key}")
    return uuid.uuid4()


async def queue_revision(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    project: Project,
    request: RevisionRequested,
) -> ChangeQueued:
    await check_new_revision(
        session, project.id, request.revision_id, settings.rate_revisions_per_project_day
    )
    await check_ai_allowance(session, project.id, settings.rate_ai_calls_per_project_hour)
    await session.commit()  # the read's transaction ends before waiting on Temporal
    return await send_update(
        client,
        project,
        "request_revision",
        request,
        ChangeQueued,
        update_id=f"revision-{request.revision_id}",
    )
