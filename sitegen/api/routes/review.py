"""A project after its first preview: revisions, versions and rollback, approval, cancel.

Every change goes through the project's workflow (an update its validator may refuse at
once); these routes only ask, and read what the workflow recorded.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header

from sitegen.api.client_view import revision_source, signed_name
from sitegen.api.delayed_start import cancel_before_start
from sitegen.api.deps import SessionDep, SettingsDep, TemporalDep, project_or_404
from sitegen.api.errors import Conflict, Forbidden, NotFound
from sitegen.api.messages import Refused, send_signal, send_update
from sitegen.api.principal import OPERATORS, CallerDep
from sitegen.api.revision_queue import queue_revision, revision_id_for
from sitegen.api.schemas import (
    ApprovalCreate,
    ApprovalPublic,
    CancelCreate,
    CancelPublic,
    RevisionCreate,
    RevisionPublic,
    RevisionQueued,
    RollbackCreate,
    RollbackQueued,
    VersionPublic,
)
from sitegen.contracts.operator import CancelRequest
from sitegen.contracts.review import (
    ApprovalAccepted,
    ApprovalRequested,
    ChangeQueued,
    RevisionRequested,
    RollbackRequested,
)
from sitegen.contracts.status import ProjectStatus, RevisionStatus
from sitegen.db import queries

router = APIRouter(tags=["review"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "The project cannot do this now (the reason says why)"},
    422: {"description": "Refused: each error names its field and reason"},
    429: {"description": "Too many revisions today; Retry-After says when to ask again"},
    503: {"description": "Temporal unreachable"},
}
CLOSED = (ProjectStatus.CANCELLED, ProjectStatus.DELIVERED)


@router.post(
    "/projects/{project_id}/revisions",
    status_code=202,
    response_model=RevisionQueued,
    responses=_ERRORS,
)
async def request_revision(
    project_id: uuid.UUID,
    body: RevisionCreate,
    caller: CallerDep,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Send the same key again (a retry) and the revision is queued once.",
        ),
    ] = None,
) -> RevisionQueued:
    """Ask for a change to the preview. It is queued behind earlier ones and applied in
    order; the answer says where it is in the queue."""
    project = await project_or_404(session, project_id)
    if project.status in CLOSED:
        raise Refused("project", f"the project is {project.status}; it takes no more revisions")
    revision_id = revision_id_for(project_id, idempotency_key)
    queued = await queue_revision(
        session,
        client,
        settings,
        project,
        RevisionRequested(
            revision_id=revision_id,
            source=revision_source(caller, body.source),
            message=body.message,
            affected_pages=body.affected_pages,
            requested_by=signed_name(caller, body.requested_by) if body.requested_by else None,
        ),
    )
    return RevisionQueued(
        revision_id=revision_id, status=RevisionStatus.PENDING, position=queued.position
    )


@router.get(
    "/projects/{project_id}/revisions", response_model=list[RevisionPublic], responses=_ERRORS
)
async def list_revisions(project_id: uuid.UUID, session: SessionDep) -> list[RevisionPublic]:
    await project_or_404(session, project_id)
    return [
        RevisionPublic.model_validate(r, from_attributes=True)
        for r in await queries.revisions(session, project_id)
    ]


@router.get(
    "/projects/{project_id}/revisions/{revision_id}",
    response_model=RevisionPublic,
    responses=_ERRORS,
)
async def get_revision(
    project_id: uuid.UUID, revision_id: uuid.UUID, session: SessionDep
) -> RevisionPublic:
    revision = await queries.get_revision(session, project_id, revision_id)
    if revision is None:
        raise NotFound("revision")
    return RevisionPublic.model_validate(revision, from_attributes=True)


@router.get(
    "/projects/{project_id}/versions", response_model=list[VersionPublic], responses=_ERRORS
)
async def list_versions(project_id: uuid.UUID, session: SessionDep) -> list[VersionPublic]:
    """Every deployed version, oldest first, each with the immutable URL that shows it."""
    await project_or_404(session, project_id)
    versions = await queries.site_versions(session, project_id)
    live = versions[-1].number if versions else None
    return [
        VersionPublic(
            number=v.number,
            kind=v.kind,
            commit=v.commit_sha,
            revision_id=v.revision_id,
            rolled_back_to=v.rolled_back_to,
            requested_by=v.requested_by,
            created_at=v.created_at,
            url=v.url,
            current=v.number == live,
        )
        for v in versions
    ]


@router.post(
    "/projects/{project_id}/rollback",
    status_code=202,
    dependencies=OPERATORS,
    response_model=RollbackQueued,
    responses=_ERRORS,
)
async def rollback(
    project_id: uuid.UUID, body: RollbackCreate, session: SessionDep, client: TemporalDep
) -> RollbackQueued:
    """Make an earlier version current again: a new commit and a new version, in order
    with the other changes. History is never rewritten."""
    project = await project_or_404(session, project_id)
    if project.status in CLOSED:
        raise Refused("project", f"the project is {project.status}; it cannot be rolled back")
    change_id = uuid.uuid4()
    queued = await send_update(
        client,
        project,
        "rollback",
        RollbackRequested(
            change_id=change_id, version=body.version, requested_by=body.requested_by
        ),
        ChangeQueued,
        update_id=f"rollback-{change_id}",
    )
    return RollbackQueued(change_id=change_id, version=body.version, position=queued.position)


@router.post(
    "/projects/{project_id}/approve",
    status_code=202,
    response_model=ApprovalPublic,
    responses=_ERRORS,
)
async def approve(
    project_id: uuid.UUID,
    body: ApprovalCreate,
    caller: CallerDep,
    settings: SettingsDep,
    session: SessionDep,
    client: TemporalDep,
) -> ApprovalPublic:
    """Approve the preview: it is merged, built for production, deployed there, and the
    project ends delivered. Approving again is harmless. The client may approve its own
    project unless SITEGEN_CLIENT_CAN_APPROVE is off; the agency always may."""
    if not caller.agency and not settings.client_can_approve:
        raise Forbidden("the agency approves delivery; ask your contact there")
    project = await project_or_404(session, project_id)
    if project.status in CLOSED:
        raise Conflict(f"the project is {project.status}; there is nothing to approve")
    accepted = await send_update(
        client,
        project,
        "approve",
        ApprovalRequested(approved_by=signed_name(caller, body.approved_by), note=body.note),
        ApprovalAccepted,
        refusal_status=409,
    )
    return ApprovalPublic(project_id=project.id, **accepted.model_dump())


@router.post(
    "/projects/{project_id}/cancel",
    status_code=202,
    dependencies=OPERATORS,
    response_model=CancelPublic,
    responses=_ERRORS,
)
async def cancel(
    project_id: uuid.UUID, body: CancelCreate, session: SessionDep, client: TemporalDep
) -> CancelPublic:
    """Stop the project wherever it is: work in flight is stopped, the preview is taken
    down, nothing else is deleted. Cancelling again is harmless."""
    project = await project_or_404(session, project_id)
    if project.status == ProjectStatus.DELIVERED:
        raise Conflict("the project is delivered; it can no longer be cancelled")
    if project.status == ProjectStatus.CANCELLED:
        return CancelPublic(project_id=project.id, already_cancelled=True)
    # A run waiting for its scheduled start has done nothing: it is ended there and then.
    if await cancel_before_start(client, session, project):
        return CancelPublic(project_id=project.id, already_cancelled=False)
    # A pending project may have a run that no worker has picked up yet: it is told too.
    if await send_signal(client, project, "cancel", CancelRequest(reason=body.reason)):
        return CancelPublic(project_id=project.id, already_cancelled=False)
    if project.status != ProjectStatus.PENDING:
        raise Conflict(f"the project is {project.status}; its run is not active")
    # No run: mark it cancelled, under the row lock `generate` also takes, so a run started
    # meanwhile is either told (signalled again here) or never started (generate sees it).
    locked = await queries.get_project_for_update(session, project_id)
    assert locked is not None  # projects are never deleted
    if locked.status == ProjectStatus.PENDING and not await send_signal(
        client, locked, "cancel", CancelRequest(reason=body.reason)
    ):
        locked.status = ProjectStatus.CANCELLED
        session.add(locked)
    await session.commit()
    return CancelPublic(project_id=project.id, already_cancelled=False)
