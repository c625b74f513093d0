"""The client's onboarding link (`/api/v1/onboarding/{token}`): what the e-mail after payment
points at. The token names one project and expires (sitegen/onboarding_links.py); with it
the client reads what the form is for and sends it, and generation starts by itself.
A token that is not ours is a 404, never a hint of which projects exist."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, EmailStr, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError

from sitegen.api.account_schemas import NewPassword, TokensOut
from sitegen.api.deps import SessionDep, SettingsDep, get_temporal, open_session
from sitegen.api.errors import ApiError, Conflict, NotFound, Unavailable
from sitegen.api.generation import start_generation
from sitegen.api.onboarding_forms import ONBOARDING_OPEN, store_onboarding
from sitegen.api.routes.auth import HASHING as _HASHING
from sitegen.api.routes.auth import issue_tokens
from sitegen.api.schemas import StrictBody
from sitegen.auth.passwords import hash_password
from sitegen.contracts.status import ProjectStatus
from sitegen.db import accounts, queries, tenancy
from sitegen.db.tables import Customer, UserRole
from sitegen.db.tenancy import Scope
from sitegen.onboarding_links import LinkExpired, LinkInvalid, OnboardingLink, read_token
from sitegen.settings import Settings

router = APIRouter(tags=["onboarding link"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not a valid link"},
    409: {"description": "The form is closed: generation has started"},
    410: {"description": "The link has expired"},
    422: {"description": "Invalid form: each error names its field and reason"},
    503: {"description": "Saved, but generation could not start: send it again"},
}


class LinkProject(BaseModel):
    project_id: uuid.UUID
    name: str
    template_id: str
    status: ProjectStatus
    open: bool
    onboarding_submitted: bool
    account_exists: bool = Field(
        description="The client has an account: sign in with it (the link makes only the first)"
    )
    validation_errors: list[dict[str, Any]]
    link_expires_at: datetime


class LinkAccountIn(StrictBody):
    email: EmailStr
    password: NewPassword


class LinkSubmitted(BaseModel):
    project_id: uuid.UUID
    submission_id: uuid.UUID
    revision: int
    generation_started: bool


def _link(settings: Settings, token: str) -> OnboardingLink:
    try:
        return read_token(settings, token)
    except LinkExpired as exc:
        raise ApiError(410, str(exc)) from None
    except LinkInvalid:
        raise NotFound("link") from None


async def _link_scope(request: Request, session: AsyncSession, link: OnboardingLink) -> Scope:
    """The link's holder acts as the project's customer: `session` sees that tenant only."""
    async with open_session(request, tenancy.AGENCY) as lookup:
        project = await queries.get_project(lookup, link.project_id)
    if project is None:
        raise NotFound("link")
    scope = tenancy.customer(project.customer_id)
    tenancy.bind(session, scope)
    return scope


@router.get("/onboarding/{token}", response_model=LinkProject, responses=_ERRORS)
async def read_link(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> LinkProject:
    link = _link(settings, token)
    await _link_scope(request, session, link)
    project = await queries.get_project(session, link.project_id)
    if project is None:
        raise NotFound("link")
    submission = await queries.get_onboarding(session, project.id)
    return LinkProject(
        project_id=project.id,
        name=project.name,
        template_id=project.template_id,
        status=ProjectStatus(project.status),
        open=project.status in ONBOARDING_OPEN,
        onboarding_submitted=submission is not None,
        account_exists=await accounts.customer_has_account(session, project.customer_id),
        validation_errors=submission.validation_errors if submission else [],
        link_expires_at=datetime.fromtimestamp(link.expires_at, UTC),
    )


@router.post(
    "/onboarding/{token}", status_code=201, response_model=LinkSubmitted, responses=_ERRORS
)
async def submit_link(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    raw: Annotated[dict[str, Any], Body(description="The onboarding form (see `Onboarding`).")],
) -> LinkSubmitted:
    """Store the form (every problem at once in a 422, nothing stored then) and start
    generating. If the run cannot start now, the form stays saved: the answer is a 503 and
    sending it again starts it (a run already started is never started twice)."""
    link = _link(settings, token)
    scope = await _link_scope(request, session, link)
    accepted, project = await store_onboarding(request, scope, link.project_id, raw)
    started = False
    if project.status == ProjectStatus.PENDING:
        locked = await queries.get_project_for_update(session, project.id)
        try:
            if locked is None or locked.status == ProjectStatus.CANCELLED:
                raise Conflict("the project is cancelled")
            first_version = await queries.next_version_number(session, project.id)
            await start_generation(await get_temporal(request), locked, settings, first_version)
            started = True
        except (RPCError, Unavailable):
            raise Unavailable(
                "your form is saved, but building could not start just now: send it again"
            ) from None
        finally:
            await session.rollback()  # nothing written here: the lock goes
    return LinkSubmitted(
        project_id=project.id,
        submission_id=accepted.submission_id,
        revision=accepted.revision,
        generation_started=started,
    )


@router.post(
    "/onboarding/{token}/account", status_code=201, response_model=TokensOut, responses=_ERRORS
)
async def create_account(
    token: str, body: LinkAccountIn, request: Request, settings: SettingsDep
) -> TokensOut:
    """The client's own account, made from the link, and signed in. Only the first, and only
    with the e-mail the order was placed with: a link forwarded or leaked does not let
    someone else take the project (409 once there is an account: sign in instead; 422 for
    another address; 409 for a cancelled project)."""
    link = _link(settings, token)
    async with open_session(request, tenancy.AGENCY) as session:
        project = await queries.get_project(session, link.project_id)
        customer = await session.get(Customer, project.customer_id) if project else None
        if project is None or customer is None:
            raise NotFound("link")
        if project.status == ProjectStatus.CANCELLED:
            raise Conflict("the project is cancelled")
        if str(body.email).strip().lower() != customer.email.strip().lower():
            raise ApiError(422, "use the e-mail address the order was placed with", "email")
        if await accounts.customer_has_account(session, project.customer_id):
            raise Conflict("an account exists for this project: sign in with it", "email")
    # Checked before the (costly) hash, so refusals cost nothing; checked again under the lock.
    async with _HASHING:
        hashed = await asyncio.to_thread(hash_password, body.password)
    async with open_session(request, tenancy.AGENCY) as session:
        if await accounts.lock_customer_accounts(session, project.customer_id):
            raise Conflict("an account exists for this project: sign in with it", "email")
        try:
            user = await accounts.create_user(
                session, body.email, hashed, UserRole.CLIENT, project.customer_id
            )
        except accounts.EmailTaken:
            raise Conflict("a user with this e-mail exists: sign in with it", "email") from None
        ends = datetime.now(UTC) + timedelta(days=settings.session_max_days)
        return await issue_tokens(session, settings, user, uuid.uuid4(), ends)
