"""Bookkeeping of a project's life after the first preview (local activities): revision rows,
operator decisions on steps, and the approval. Each write is idempotent, so a retried or
replayed call leaves the same rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.support import Sessions
from sitegen.contracts.review_activities import (
    ApprovalRecord,
    DecisionRecord,
    RevisionMark,
    RevisionRecord,
)
from sitegen.contracts.status import RevisionStatus
from sitegen.db.tables import PipelineStep, Project, RevisionRequest

# A revision only moves forward: a late or replayed write never takes it back.
_FINAL = (RevisionStatus.APPLIED, RevisionStatus.REJECTED)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReviewActivities:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    @activity.defn
    async def record_revision(self, record: RevisionRecord) -> None:
        revision = record.revision
        stmt = (
            insert(RevisionRequest)
            .values(
                id=revision.revision_id,
                project_id=record.project_id,
                source=revision.source,
                requested_by=revision.requested_by,
                message=revision.message,
                affected_pages=revision.affected_pages or None,
                status=RevisionStatus.PENDING,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        async with self.sessions() as session, session.begin():
            await session.execute(stmt)

    @activity.defn
    async def mark_revisions(self, mark: RevisionMark) -> None:
        values: dict[str, Any] = {"status": mark.status, "updated_at": func.now()}
        if mark.status == RevisionStatus.REJECTED:
            values["rejection_reason"] = mark.reason
        if mark.status == RevisionStatus.APPLIED:
            values.update(applied_commit=mark.commit, applied_at=func.now(), diff_ref=mark.diff_ref)
        if mark.summary is not None:
            values["summary"] = mark.summary
        async with self.sessions() as session, session.begin():
            await session.exec(
                update(RevisionRequest)
                .where(col(RevisionRequest.id).in_(mark.revision_ids))
                .where(col(RevisionRequest.project_id) == mark.project_id)
                .where(col(RevisionRequest.status).not_in(_FINAL))
                .values(**values)
            )

    @activity.defn
    async def record_decision(self, record: DecisionRecord) -> None:
        decision = {
            "action": record.action,
            "decided_by": record.decided_by,
            "note": record.note,
            "decided_at": _now(),
        }
        async with self.sessions() as session, session.begin():
            await session.exec(
                update(PipelineStep)
                .where(col(PipelineStep.project_id) == record.project_id)
                .where(col(PipelineStep.step_key) == record.step.value)
                .values(decision=decision, updated_at=func.now())
            )

    @activity.defn
    async def record_approval(self, record: ApprovalRecord) -> None:
        approval = {
            "approved_by": record.approved_by,
            "note": record.note,
            "version": record.version,
            "approved_at": _now(),
        }
        async with self.sessions() as session, session.begin():
            project = await session.get(Project, record.project_id, with_for_update=True)
            if project is None or "approval" in project.meta:
                return  # a retry: the first approval's record stands
            project.meta = {**project.meta, "approval": approval}
            session.add(project)
