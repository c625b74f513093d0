"""What the records hold about one pipeline step, for an operator finding out why it failed:
its row, the artifact it wrote, and the AI requests it made."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import AICall, Artifact, PipelineStep

# The last requests are the ones that explain a failure; a step retried for hours made more.
AI_CALLS_SHOWN = 20


async def step_row(
    session: AsyncSession, project_id: uuid.UUID, step_key: str
) -> PipelineStep | None:
    result = await session.exec(
        select(PipelineStep)
        .where(PipelineStep.project_id == project_id)
        .where(PipelineStep.step_key == step_key)
    )
    return result.first()


async def artifact_at(
    session: AsyncSession, project_id: uuid.UUID, storage_ref: str
) -> Artifact | None:
    """The artifact indexed under a storage key (a step's output_ref names one when its
    output is an artifact; a commit sha or a deploy id names none)."""
    result = await session.exec(
        select(Artifact)
        .where(Artifact.project_id == project_id)
        .where(Artifact.storage_ref == storage_ref)
        .order_by(col(Artifact.version).desc())
    )
    return result.first()


async def ai_calls_of(session: AsyncSession, project_id: uuid.UUID, step_key: str) -> list[AICall]:
    """The step's latest AI requests, oldest first."""
    result = await session.exec(
        select(AICall)
        .where(AICall.project_id == project_id)
        .where(AICall.pipeline_step == step_key)
        .order_by(col(AICall.created_at).desc(), col(AICall.attempt).desc())
        .limit(AI_CALLS_SHOWN)
    )
    return list(reversed(result.all()))
