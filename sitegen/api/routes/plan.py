"""Plan sign-off: the brief and sitemap a client approves (or changes) before any page is
written, when the order asked for it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from sitegen.api.client_view import signed_name
from sitegen.api.deps import SessionDep, SettingsDep, TemporalDep, project_or_404
from sitegen.api.design_links import design_links
from sitegen.api.messages import send_update
from sitegen.api.principal import CallerDep
from sitegen.api.rate_limits import check_ai_allowance
from sitegen.api.schemas_plan import (
    PlanApprovalCreate,
    PlanDecision,
    PlanPublic,
    PlanRevisionCreate,
)
from sitegen.contracts.review import (
    WAITING_FOR_PLAN,
    PlanApproval,
    PlanDecisionAccepted,
    PlanRevisionRequested,
)
from sitegen.contracts.status import ArtifactType
from sitegen.db import queries
from sitegen.db.tables import Project

router = APIRouter(tags=["plan"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "The plan is not waiting for approval"},
    422: {"description": "Invalid input"},
    429: {"description": "The project used its hour of AI calls; see Retry-After"},
    503: {"description": "Temporal unreachable"},
}


def _plan_status(project: Project, has_sitemap: bool) -> str:
    if not project.meta.get("plan_approval"):
        return "not_requested"
    if project.waiting_for == WAITING_FOR_PLAN:
        return "awaiting_approval"
    return "approved" if has_sitemap and project.status != "pending" else "pending"


@router.get("/projects/{project_id}/plan", response_model=PlanPublic, responses=_ERRORS)
async def get_plan(project_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> PlanPublic:
    """The latest brief (Markdown) and sitemap (pages with their sections), and the
    wireframe and style guide made from them, with where to look at them."""
    project = await project_or_404(session, project_id, release=False)
    brief = await queries.latest_artifact(session, project_id, ArtifactType.BRIEF)
    sitemap = await queries.latest_artifact(session, project_id, ArtifactType.SITEMAP)
    frame = await queries.latest_artifact(session, project_id, ArtifactType.WIREFRAME)
    guide = await queries.latest_artifact(session, project_id, ArtifactType.STYLE_GUIDE)
    markdown = (brief.inline_content or {}).get("markdown") if brief else None
    pages = (sitemap.inline_content or {}).get("pages", []) if sitemap else []
    return PlanPublic(
        project_id=project.id,
        status=_plan_status(project, sitemap is not None),
        version=sitemap.version if sitemap else None,
        brief_markdown=markdown,
        pages=pages,
        wireframe_version=frame.version if frame else None,
        style_guide_version=guide.version if guide else None,
        design=await design_links(session, project_id, settings.public_url),
    )


@router.post("/projects/{project_id}/plan/approve", response_model=PlanDecision, responses=_ERRORS)
async def approve_plan(
    project_id: uuid.UUID,
    body: PlanApprovalCreate,
    caller: CallerDep,
    session: SessionDep,
    client: TemporalDep,
) -> PlanDecision:
    """Sign off the plan: the pages are written next."""
    project = await project_or_404(session, project_id)
    decided = await send_update(
        client,
        project,
        "approve_plan",
        PlanApproval(approved_by=signed_name(caller, body.approved_by)),
        PlanDecisionAccepted,
        refusal_status=409,
    )
    return PlanDecision(**decided.model_dump())


@router.post(
    "/projects/{project_id}/plan/revisions", response_model=PlanDecision, responses=_ERRORS
)
async def revise_plan(
    project_id: uuid.UUID,
    body: PlanRevisionCreate,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalDep,
) -> PlanDecision:
    """Change the plan (pages, services, colours, contact details) before sign-off. The
    answer comes once the plan is revised, or says why it was not."""
    project = await project_or_404(session, project_id)
    await check_ai_allowance(session, project.id, settings.rate_ai_calls_per_project_hour)
    await session.commit()  # the read's transaction ends before waiting on Temporal
    decided = await send_update(
        client,
        project,
        "revise_plan",
        PlanRevisionRequested(
            message=body.message,
            requested_by=signed_name(caller, body.requested_by) if body.requested_by else None,
        ),
        PlanDecisionAccepted,
        refusal_status=409,
    )
    return PlanDecision(**decided.model_dump())
