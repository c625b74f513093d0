"""Projects: create from a paid order, take the onboarding form, start generation, read state."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from sitegen.api.deps import SessionDep, SettingsDep, TemporalDep, get_temporal
from sitegen.api.errors import ApiError, Conflict, NotFound
from sitegen.api.generation import start_generation
from sitegen.api.schemas import (
    GenerationStarted,
    OnboardingAccepted,
    PipelineStepPublic,
    ProjectCreate,
    ProjectPublic,
)
from sitegen.contracts.onboarding import Onboarding, slugify
from sitegen.contracts.pipeline import OnboardingCorrected, workflow_id_for
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries
from sitegen.db.tables import CustomerOrder, Project
from sitegen.db.tables_core import OnboardingSubmission

router = APIRouter(tags=["projects"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "Conflict"},
    422: {"description": "Invalid input: each error names its field and reason"},
}


class _Invalid(ApiError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, reason, field)


def _validate_onboarding(data: dict[str, object], prefix: str) -> Onboarding:
    try:
        return Onboarding.model_validate(data)
    except ValidationError as exc:
        # Re-raise with the field paths rooted where the client put the form. (Rebuilding a
        # ValidationError fails on custom `value_error`s, whose context can't be re-created.)
        raise RequestValidationError(
            [{**e, "loc": ("body", prefix, *e["loc"])} for e in exc.errors(include_input=False)]
        ) from None


def _public(project: Project, submission: OnboardingSubmission | None) -> ProjectPublic:
    return ProjectPublic(
        **project.model_dump(exclude={"meta"}),
        onboarding_submitted=submission is not None,
        validation_errors=submission.validation_errors if submission else [],
    )


async def _project_or_404(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await queries.get_project(session, project_id)
    if project is None:
        raise NotFound("project")
    return project


@router.post("/projects", status_code=201, response_model=ProjectPublic, responses=_ERRORS)
async def create_project(
    body: ProjectCreate, request: Request, settings: SettingsDep
) -> ProjectPublic:
    """Create customer (found by email), order and project in one transaction."""
    form = (
        _validate_onboarding(body.onboarding, "onboarding") if body.onboarding is not None else None
    )
    if body.start_generation and body.onboarding is None:
        raise _Invalid("start_generation", "needs `onboarding` in the same request")
    # Refuse before writing anything, so a retry of the same order is not a 409.
    client = get_temporal(request) if body.start_generation else None
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        if await queries.get_template(session, body.template_id) is None:
            raise _Invalid("template_id", f"unknown template '{body.template_id}'")
        if await queries.order_by_ref(session, body.order.reference) is not None:
            raise Conflict("an order with this reference already exists", "order.reference")
        if body.slug and await queries.slug_taken(session, body.slug):
            raise Conflict(f"slug '{body.slug}' is taken", "slug")
        slug = body.slug or await queries.unique_slug(session, slugify(body.name))
        customer_id = await queries.upsert_customer(
            session,
            name=body.customer.name,
            email=str(body.customer.email),
            phone=body.customer.phone,
            external_ref=body.customer.external_ref,
        )
        order = CustomerOrder(
            customer_id=customer_id,
            product_id=body.order.product_id,
            external_ref=body.order.reference,
            amount_cents=body.order.amount_cents,
            currency=body.order.currency,
        )
        session.add(order)
        await session.flush()
        project = Project(
            customer_id=customer_id,
            order_id=order.id,
            name=body.name,
            slug=slug,
            template_id=body.template_id,
            workflow_id=workflow_id_for(slug),
            status=ProjectStatus.PENDING.value,
        )
        session.add(project)
        await session.flush()
        submission = None
        if form is not None:
            # Stored as validated (trimmed, normalised): the same as the onboarding route.
            submission = await queries.save_onboarding(
                session, project.id, form.model_dump(mode="json", exclude_none=True)
            )
        public = _public(project, submission)
    if client is not None:
        await start_generation(client, project, settings)
    return public


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=_ERRORS)
async def get_project(project_id: uuid.UUID, session: SessionDep) -> ProjectPublic:
    project = await _project_or_404(session, project_id)
    return _public(project, await queries.get_onboarding(session, project_id))


@router.post(
    "/projects/{project_id}/onboarding",
    status_code=201,
    response_model=OnboardingAccepted,
    responses=_ERRORS,
)
async def submit_onboarding(
    project_id: uuid.UUID, form: Onboarding, request: Request
) -> OnboardingAccepted:
    """Store the form; a generation run waiting on a correction is told at once."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        project = await queries.get_project_for_update(session, project_id)
        if project is None:
            raise NotFound("project")
        if project.status in (ProjectStatus.CANCELLED, ProjectStatus.DELIVERED):
            raise Conflict(f"project is {project.status}; the onboarding is closed")
        submission = await queries.save_onboarding(
            session, project_id, form.model_dump(mode="json", exclude_none=True)
        )
        accepted = OnboardingAccepted(
            project_id=project_id,
            submission_id=submission.id,
            revision=submission.revision,
            workflow_notified=False,
        )
        waiting = project.status == ProjectStatus.ONBOARDING
    client: Client | None = request.app.state.temporal
    if waiting and client is not None:
        try:
            await client.get_workflow_handle(workflow_id_for(project.slug)).signal(
                "onboarding_corrected", OnboardingCorrected(revision=accepted.revision)
            )
            accepted.workflow_notified = True
        except RPCError:
            pass  # no run waiting: the next `generate` reads the stored form
    return accepted


@router.post(
    "/projects/{project_id}/generate",
    status_code=202,
    response_model=GenerationStarted,
    responses={**_ERRORS, 503: {"description": "Temporal unreachable"}},
)
async def generate(
    project_id: uuid.UUID, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> GenerationStarted:
    """Start generation; a second call while it runs returns the same run."""
    project = await _project_or_404(session, project_id)
    if await queries.get_onboarding(session, project_id) is None:
        raise Conflict("submit the onboarding form before generating", "onboarding")
    if project.status == ProjectStatus.CANCELLED:
        raise Conflict("project is cancelled")
    return await start_generation(client, project, settings)


@router.get(
    "/projects/{project_id}/pipeline", response_model=list[PipelineStepPublic], responses=_ERRORS
)
async def get_pipeline(project_id: uuid.UUID, session: SessionDep) -> list[PipelineStepPublic]:
    await _project_or_404(session, project_id)
    return [
        PipelineStepPublic.model_validate(step, from_attributes=True)
        for step in await queries.pipeline_steps(session, project_id)
    ]
