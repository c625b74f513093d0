"""Reads and writes of `version_history`: numbered per project, one entry per artifact
version however often the activity that stores it is retried."""

from __future__ import annotations

import uuid

from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables_history import VersionHistory


async def record(session: AsyncSession, entry: VersionHistory) -> VersionHistory:
    """Store `entry` under the project's next number, or return the entry already stored for
    the same artifact version (a retried activity); one whose bytes changed since (a step
    run again for the same version) takes the new diff, author and message. Call inside a
    transaction."""
    # Numbers are taken one writer at a time per project; steps run side by side.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"version_history:{entry.project_id}"},
    )
    found = await session.exec(
        select(VersionHistory)
        .where(VersionHistory.project_id == entry.project_id)
        .where(VersionHistory.artifact == entry.artifact)
        .where(VersionHistory.artifact_version == entry.artifact_version)
    )
    existing = found.first()
    if existing is not None:
        if existing.sha256 != entry.sha256:
            for name in ("author", "message", "diff", "storage_ref", "sha256", "reverted_from"):
                setattr(existing, name, getattr(entry, name))
            session.add(existing)
            await session.flush()
        return existing
    top = await session.exec(
        select(func.coalesce(func.max(VersionHistory.version), 0)).where(
            VersionHistory.project_id == entry.project_id
        )
    )
    entry.version = int(top.one()) + 1
    session.add(entry)
    await session.flush()
    return entry


async def latest(
    session: AsyncSession, project_id: uuid.UUID, artifact: str, before: int | None = None
) -> VersionHistory | None:
    """The artifact's newest entry (below artifact version `before`, when given)."""
    query = (
        select(VersionHistory)
        .where(VersionHistory.project_id == project_id)
        .where(VersionHistory.artifact == artifact)
    )
    if before is not None:
        query = query.where(col(VersionHistory.artifact_version) < before)
    found = await session.exec(query.order_by(col(VersionHistory.artifact_version).desc()).limit(1))
    return found.first()


async def entries(
    session: AsyncSession, project_id: uuid.UUID, artifact: str | None = None
) -> list[VersionHistory]:
    query = select(VersionHistory).where(VersionHistory.project_id == project_id)
    if artifact is not None:
        query = query.where(VersionHistory.artifact == artifact)
    found = await session.exec(query.order_by(col(VersionHistory.version)))
    return list(found.all())


async def entry(
    session: AsyncSession, project_id: uuid.UUID, version: int
) -> VersionHistory | None:
    found = await session.exec(
        select(VersionHistory)
        .where(VersionHistory.project_id == project_id)
        .where(VersionHistory.version == version)
    )
    return found.first()
