"""Projects: create from a paid order, take the onboarding form, start generation, read state."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from sitegen.api.deps import SessionDep, SettingsDep, TemporalDep, get_temporal, project_or_404
from sitegen.api.errors import ApiError, Conflict, NotFound, Unavailable
from sitegen.api.generation import start_generation
from sitegen.api.messages import send_signal
from sitegen.api.schemas import (
    GenerationStarted,
    OnboardingAccepted,
    PipelineStepPublic,
    ProjectCreate,
    ProjectPublic,
)
from sitegen.api.temporal_link import TemporalLink
from sitegen.contracts.onboarding import Onboarding, slugify
from sitegen.contracts.onboarding_check import (
    onboarding_problems,
    requested_subdomain,
    subdomain_taken,
)
from sitegen.contracts.pipeline import OnboardingCorrected, workflow_id_for
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries
from sitegen.db.tables import CustomerOrder, Project
from sitegen.db.tables_core import OnboardingSubmission
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest

router = APIRouter(tags=["projects"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "Conflict"},
    422: {"description": "Invalid input: each error names its field and reason"},
}


class _Invalid(ApiError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, reason, field)


# The onboarding form may be replaced until generation starts; after that, changes are
# revisions of the preview.
_ONBOARDING_OPEN = (ProjectStatus.PENDING, ProjectStatus.ONBOARDING)


async def _checked_onboarding(
    session: AsyncSession,
    raw: object,
    template_id: str,
    prefix: str = "",
    project_id: uuid.UUID | None = None,
) -> Onboarding:
    """Every problem at once (form, template, pages, subdomain) in one 422, or the form."""
    row = await queries.get_template(session, template_id)
    manifest = TemplateManifest.model_validate(row.config) if row is not None else None
    problems, form = onboarding_problems(raw, manifest, template_id)
    # The subdomain is checked even when other fields are wrong, so one answer has it all.
    wanted = form.subdomain if form is not None else requested_subdomain(raw, problems)
    if wanted is not None and await queries.subdomain_taken(session, wanted, project_id):
        problems.append(subdomain_taken(wanted))
    if problems or form is None:
        # Rooted where the client put the form (`onboarding.business.email` in an order).
        raise RequestValidationError(
            [
                {
                    "loc": (
                        "body",
                        *([prefix] if prefix and p.field != "template_id" else []),
                        *p.field.split("."),
                    ),
                    "msg": p.reason,
                }
                for p in problems
            ]
        )
    return form


def request_fingerprint(body: ProjectCreate) -> str:
    """The same order sent again (a client's retry) is recognised by its exact content."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _public(project: Project, submission: OnboardingSubmission | None) -> ProjectPublic:
    return ProjectPublic(
        **project.model_dump(exclude={"meta"}),
        plan_approval=bool(project.meta.get("plan_approval")),
        onboarding_submitted=submission is not None,
        validation_errors=submission.validation_errors if submission else [],
    )


@router.post("/projects", status_code=201, response_model=ProjectPublic, responses=_ERRORS)
async def create_project(
    body: ProjectCreate, request: Request, response: Response, settings: SettingsDep
) -> ProjectPublic:
    """Create customer (found by email), order and project in one transaction. The same
    request again (same order reference, same body) is answered with the same project and
    run (200), and starts the run if the first attempt could not."""
    if body.start_generation and body.onboarding is None:
        raise _Invalid("start_generation", "needs `onboarding` in the same request")
    # Refuse before writing anything when Temporal is needed and down: a retry then works.
    client = await get_temporal(request) if body.start_generation else None
    fingerprint = request_fingerprint(body)
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        earlier = await queries.project_for_order(session, body.order.reference)
        if earlier is not None:
            if earlier.meta.get("request") != fingerprint:
                raise Conflict("an order with this reference already exists", "order.reference")
            response.status_code = 200
            submission = await queries.get_onboarding(session, earlier.id)
            public = _public(earlier, submission)
            if earlier.status != ProjectStatus.PENDING:
                return await _existing_run(public, earlier, client)
            return await _started(public, earlier, client, settings)
        form = None
        if body.onboarding is not None:
            form = await _checked_onboarding(
                session, body.onboarding, body.template_id, "onboarding"
            )
        elif await queries.get_template(session, body.template_id) is None:
            raise _Invalid("template_id", f"template '{body.template_id}' is not installed")
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
            ai_budget_usd=body.order.ai_budget_usd,
            meta={
                "request": fingerprint,
                **({"plan_approval": True} if body.plan_approval else {}),
            },
            # Claimed with the form, so a second order for it is refused at once.
            subdomain=form.subdomain if form is not None else None,
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
    return await _started(public, project, client, settings)


async def _existing_run(
    public: ProjectPublic, project: Project, client: Client | None
) -> ProjectPublic:
    """A retried order whose run is already under way (or over): never a second run."""
    if client is None or project.workflow_id is None:
        return public
    with contextlib.suppress(RPCError):
        run = await client.get_workflow_handle(project.workflow_id).describe()
        return public.model_copy(update={"run_id": run.run_id})
    return public


async def _started(
    public: ProjectPublic, project: Project, client: Client | None, settings: Settings
) -> ProjectPublic:
    """The project, with its run started when asked (finding the run a retry started)."""
    if client is None:
        return public
    try:
        started = await start_generation(client, project, settings)
    except RPCError:
        raise Unavailable(
            "the order is saved but its run could not be started; send the same request again"
        ) from None
    return public.model_copy(update={"run_id": started.run_id})


@router.get("/projects", response_model=list[ProjectPublic])
async def list_projects(
    session: SessionDep,
    slug: Annotated[str | None, Query(max_length=100)] = None,
    status: ProjectStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ProjectPublic]:
    """Projects, newest first; filter by slug or status."""
    projects = await queries.list_projects(session, slug=slug, status=status, limit=limit)
    return [_public(p, await queries.get_onboarding(session, p.id)) for p in projects]


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=_ERRORS)
async def get_project(project_id: uuid.UUID, session: SessionDep) -> ProjectPublic:
    project = await project_or_404(session, project_id)
    return _public(project, await queries.get_onboarding(session, project_id))


@router.post(
    "/projects/{project_id}/onboarding",
    status_code=201,
    response_model=OnboardingAccepted,
    responses=_ERRORS,
)
async def submit_onboarding(
    project_id: uuid.UUID,
    request: Request,
    raw: Annotated[dict[str, Any], Body(description="The onboarding form (see `Onboarding`).")],
) -> OnboardingAccepted:
    """Store the form, checked in one pass (every problem at once); a run waiting for a
    correction is told at once. Once generation has started the form is closed: ask for
    changes as revisions of the preview."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        project = await queries.get_project_for_update(session, project_id)
        if project is None:
            raise NotFound("project")
        if project.status not in _ONBOARDING_OPEN:
            raise Conflict(
                f"project is {project.status}: the onboarding closed when generation started; "
                "ask for changes as revisions of the preview",
                "onboarding",
            )
        form = await _checked_onboarding(session, raw, project.template_id, "", project_id)
        submission = await queries.save_onboarding(
            session, project_id, form.model_dump(mode="json", exclude_none=True)
        )
        project.subdomain = form.subdomain
        if project.waiting_for == "onboarding correction":
            project.waiting_for = None  # corrected: being checked now, not waited for
        session.add(project)
        accepted = OnboardingAccepted(
            project_id=project_id,
            submission_id=submission.id,
            revision=submission.revision,
            workflow_notified=False,
        )
        waiting = project.status == ProjectStatus.ONBOARDING
    if waiting:
        # The run is told at once. If Temporal cannot be reached, the form is saved all
        # the same and the run finds it by itself: while it waits for a correction it also
        # looks at the stored form now and then, so a correction is never lost.
        link: TemporalLink = request.app.state.temporal
        with contextlib.suppress(Unavailable):
            accepted.workflow_notified = await send_signal(
                await link.client(),
                project,
                "onboarding_corrected",
                OnboardingCorrected(revision=accepted.revision),
            )
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
    await project_or_404(session, project_id)
    # The row lock `cancel` also takes: a project is never cancelled while its run starts.
    project = await queries.get_project_for_update(session, project_id)
    assert project is not None  # projects are never deleted
    try:
        if await queries.get_onboarding(session, project_id) is None:
            raise Conflict("submit the onboarding form before generating", "onboarding")
        if project.status == ProjectStatus.CANCELLED:
            raise Conflict("project is cancelled")
        first_version = await queries.next_version_number(session, project_id)
        return await start_generation(client, project, settings, first_version)
    finally:
        await session.rollback()  # nothing written: the lock goes


@router.get(
    "/projects/{project_id}/pipeline", response_model=list[PipelineStepPublic], responses=_ERRORS
)
async def get_pipeline(project_id: uuid.UUID, session: SessionDep) -> list[PipelineStepPublic]:
    await project_or_404(session, project_id)
    return [
        PipelineStepPublic.model_validate(step, from_attributes=True)
        for step in await queries.pipeline_steps(session, project_id)
    ]
