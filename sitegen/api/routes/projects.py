"""Projects: create from a paid order, take the onboarding form, start generation, read state."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from temporalio.client import Client
from temporalio.service import RPCError

from sitegen.api.client_view import project_for, step_for
from sitegen.api.delayed_start import start_at_problem
from sitegen.api.deps import (
    SessionDep,
    SettingsDep,
    TemporalDep,
    caller_scope,
    get_temporal,
    open_session,
    project_or_404,
)
from sitegen.api.design_links import design_links
from sitegen.api.errors import ApiError, Conflict, Unavailable
from sitegen.api.generation import start_generation
from sitegen.api.onboarding_forms import checked_onboarding, store_onboarding
from sitegen.api.orders import NewOrder, place_order
from sitegen.api.principal import OPERATORS, CallerDep
from sitegen.api.rate_limits import check_new_project
from sitegen.api.schemas import (
    GenerationStarted,
    OnboardingAccepted,
    PipelineStepPublic,
    ProjectCreate,
    ProjectPublic,
)
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries
from sitegen.db.tables import Project
from sitegen.db.tables_core import OnboardingSubmission
from sitegen.settings import Settings

router = APIRouter(tags=["projects"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "Conflict"},
    429: {"description": "Too many new projects for this customer; see Retry-After"},
    422: {"description": "Invalid input: each error names its field and reason"},
}


class _Invalid(ApiError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, reason, field)


def request_fingerprint(body: ProjectCreate) -> str:
    """The same order sent again (a client's retry) is recognised by its exact content."""
    data = body.model_dump(mode="json")
    if data["order"].get("ai_budget_usd") is None:
        # A field added later: an order without it fingerprints as it did before it existed.
        data["order"].pop("ai_budget_usd", None)
    for later, unset in (("priority", "normal"), ("start_at", None)):
        if data.get(later) == unset:
            data.pop(later, None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _public(project: Project, submission: OnboardingSubmission | None) -> ProjectPublic:
    return ProjectPublic(
        **project.model_dump(exclude={"meta"}),
        plan_approval=bool(project.meta.get("plan_approval")),
        onboarding_submitted=submission is not None,
        validation_errors=submission.validation_errors if submission else [],
    )


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectPublic,
    dependencies=OPERATORS,
    responses={200: {"model": ProjectPublic, "description": "The same order again"}, **_ERRORS},
)
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
    async with open_session(request, caller_scope(request)) as session, session.begin():
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
        problem = start_at_problem(body.start_at, settings.start_at_max_days, datetime.now(UTC))
        if problem is not None:
            raise _Invalid("start_at", problem)
        form = None
        if body.onboarding is not None:
            form = await checked_onboarding(
                session, body.onboarding, body.template_id, "onboarding"
            )
        elif await queries.get_template(session, body.template_id) is None:
            raise _Invalid("template_id", f"template '{body.template_id}' is not installed")
        await check_new_project(
            session, str(body.customer.email), settings.rate_projects_per_customer_hour
        )
        if await queries.order_by_ref(session, body.order.reference) is not None:
            raise Conflict("an order with this reference already exists", "order.reference")
        if body.slug and await queries.slug_taken(session, body.slug):
            raise Conflict(f"slug '{body.slug}' is taken", "slug")
        project = await place_order(
            session,
            NewOrder(
                customer_name=body.customer.name,
                customer_email=str(body.customer.email),
                customer_phone=body.customer.phone,
                customer_ref=body.customer.external_ref,
                reference=body.order.reference,
                product_id=body.order.product_id,
                amount_cents=body.order.amount_cents,
                currency=body.order.currency,
                name=body.name,
                slug=body.slug,
                template_id=body.template_id,
                ai_budget_usd=body.order.ai_budget_usd,
                meta={
                    "request": fingerprint,
                    **({"plan_approval": True} if body.plan_approval else {}),
                },
                # Claimed with the form, so a second order for it is refused at once.
                subdomain=form.subdomain if form is not None else None,
                priority=body.priority.value,
                scheduled_start=body.start_at,
            ),
        )
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
    caller: CallerDep,
    session: SessionDep,
    # A slug's own shape: anything else (a NUL byte, say) can name no project.
    slug: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9-]+$")] = None,
    status: ProjectStatus | None = None,
    q: Annotated[
        str | None,
        # No NUL: Postgres text cannot hold one.
        Query(
            max_length=100,
            pattern=r"^[^\x00]*$",
            description="Part of the name or the slug, in any case.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ProjectPublic]:
    """Projects, newest first; filter by slug, status or a search. A client sees its own."""
    projects = await queries.list_projects(session, slug=slug, status=status, limit=limit, search=q)
    return [
        project_for(caller, _public(p, await queries.get_onboarding(session, p.id)))
        for p in projects
    ]


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=_ERRORS)
async def get_project(
    project_id: uuid.UUID, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> ProjectPublic:
    project = await project_or_404(session, project_id, release=False)
    public = _public(project, await queries.get_onboarding(session, project_id))
    links = await design_links(session, project_id, settings.public_url)
    return project_for(caller, public.model_copy(update={"design": links}))


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
    accepted, _ = await store_onboarding(request, caller_scope(request), project_id, raw)
    return accepted


@router.post(
    "/projects/{project_id}/generate",
    status_code=202,
    dependencies=OPERATORS,
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
async def get_pipeline(
    project_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> list[PipelineStepPublic]:
    await project_or_404(session, project_id, release=False)
    return [
        step_for(caller, PipelineStepPublic.model_validate(step, from_attributes=True))
        for step in await queries.pipeline_steps(session, project_id)
    ]
