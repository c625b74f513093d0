"""The version history (seed 004): every change to a project's spec, sitemap, wireframe,
style guide and copy, and putting one back. A revert never rewrites anything: it goes through
the project's workflow and becomes a new version, like any other change."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query

from sitegen.api.client_view import revision_source, signed_name
from sitegen.api.deps import SessionDep, SettingsDep, TemporalDep, project_or_404
from sitegen.api.errors import NotFound
from sitegen.api.history_schemas import HistoryEntry, RevertAccepted, RevertCreate
from sitegen.api.messages import Refused, send_update
from sitegen.api.principal import CallerDep
from sitegen.api.rate_limits import check_ai_allowance
from sitegen.api.revision_queue import queue_revision, revision_id_for
from sitegen.contracts.design import HistoryArtifact, RevertTarget
from sitegen.contracts.review import (
    WAITING_FOR_PLAN,
    PlanDecisionAccepted,
    PlanRevisionRequested,
    RevisionRequested,
)
from sitegen.contracts.status import ProjectStatus, RevisionSource
from sitegen.db import history
from sitegen.db.tables_history import VersionHistory

router = APIRouter(tags=["history"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project or history version"},
    409: {"description": "The project cannot take this change now (the reason says why)"},
    422: {"description": "Refused: each error names its field and reason"},
    429: {"description": "Too many changes for now; Retry-After says when to ask again"},
    503: {"description": "Temporal unreachable"},
}
# A history number as Postgres stores it (int4): a larger one is a 422, not a 500.
HistoryVersion = Annotated[int, Path(ge=1, le=2**31 - 1, description="The history number.")]


def _public(row: VersionHistory) -> HistoryEntry:
    return HistoryEntry.model_validate(row, from_attributes=True)


@router.get("/projects/{project_id}/history", response_model=list[HistoryEntry], responses=_ERRORS)
async def list_history(
    project_id: uuid.UUID,
    session: SessionDep,
    artifact: Annotated[HistoryArtifact | None, Query(description="Only this artifact")] = None,
) -> list[HistoryEntry]:
    """Every change, oldest first: who, what (a unified diff from the version before) and
    why."""
    await project_or_404(session, project_id, release=False)
    rows = await history.entries(session, project_id, artifact.value if artifact else None)
    return [_public(r) for r in rows]


@router.get(
    "/projects/{project_id}/history/{version}", response_model=HistoryEntry, responses=_ERRORS
)
async def get_history(
    project_id: uuid.UUID, version: HistoryVersion, session: SessionDep
) -> HistoryEntry:
    await project_or_404(session, project_id, release=False)
    row = await history.entry(session, project_id, version)
    if row is None:
        raise NotFound("history version")
    return _public(row)


@router.post(
    "/projects/{project_id}/history/{version}/revert",
    status_code=202,
    response_model=RevertAccepted,
    responses=_ERRORS,
)
async def revert(
    project_id: uuid.UUID,
    version: HistoryVersion,
    body: RevertCreate,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Send the same key again (a retry) and the revert is queued once.",
        ),
    ] = None,
) -> RevertAccepted:
    """Put an artifact back as it was at history version `version`. On a live preview the
    revert is queued like a revision and becomes a new site version; on a plan waiting for
    sign-off it is made at once and the brief and sitemap are written again from it."""
    project = await project_or_404(session, project_id, release=False)
    row = await history.entry(session, project_id, version)
    if row is None:
        raise NotFound("history version")
    if project.status in (ProjectStatus.CANCELLED, ProjectStatus.DELIVERED):
        raise Refused("project", f"the project is {project.status}; it takes no more changes")
    label = f"{row.artifact.replace('_', ' ')} version {row.artifact_version}"
    target = RevertTarget(
        history_version=row.version,
        artifact=HistoryArtifact(row.artifact),
        artifact_version=row.artifact_version,
        storage_key=row.storage_ref,
    )
    message = body.message or f"Put back the {label} (history {row.version})"
    requested_by = signed_name(caller, body.requested_by) if body.requested_by else None
    accepted = RevertAccepted(
        history_version=row.version,
        artifact=row.artifact,
        artifact_version=row.artifact_version,
        applied_as="plan",
    )
    revision_id = revision_id_for(project_id, idempotency_key)
    if project.waiting_for == WAITING_FOR_PLAN:
        await check_ai_allowance(session, project.id, settings.rate_ai_calls_per_project_hour)
        await session.commit()  # the read's transaction ends before waiting on Temporal
        decided = await send_update(
            client,
            project,
            "revise_plan",
            PlanRevisionRequested(message=message, requested_by=requested_by, revert=target),
            PlanDecisionAccepted,
            # With a key, a retry is the same update: the run answers it once.
            update_id=f"plan-revert-{revision_id}" if idempotency_key else None,
            refusal_status=409,
        )
        return accepted.model_copy(
            update={"plan_version": decided.plan_version, "reason": decided.reason}
        )
    queued = await queue_revision(
        session,
        client,
        settings,
        project,
        RevisionRequested(
            revision_id=revision_id,
            source=revision_source(caller, RevisionSource.HUMAN),
            message=message,
            requested_by=requested_by,
            revert=target,
        ),
    )
    return accepted.model_copy(
        update={
            "applied_as": "revision",
            "revision_id": revision_id,
            "position": queued.position,
        }
    )
