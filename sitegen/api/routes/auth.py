"""Signing in: a password for a short-lived access token and a refresh token; a refresh token
for the next pair (it is spent, and shown again it revokes its whole family); sign-out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.account_schemas import LoginIn, Me, RefreshIn, TokensOut
from sitegen.api.deps import SessionDep, SettingsDep
from sitegen.api.errors import Unauthorized
from sitegen.api.principal import CallerDep
from sitegen.api.rate_limits import check_login, login_address
from sitegen.auth import access_tokens
from sitegen.auth.credentials import new_refresh_token, read_refresh_token, same_secret, secret_hash
from sitegen.auth.passwords import verify_password
from sitegen.db import accounts
from sitegen.db.tables import AppUser
from sitegen.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
_ERRORS: dict[int | str, dict[str, str]] = {
    422: {"description": "Invalid input: each error names its field and reason"},
    401: {"description": "Credentials that do not hold"},
    429: {"description": "Too many attempts; see Retry-After"},
}
_REFUSED = "the e-mail or the password is wrong"


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    user: AppUser,
    family_id: uuid.UUID,
    family_expires_at: datetime,
) -> TokensOut:
    access, lifetime = access_tokens.issue(settings, user.id, user.role, user.customer_id)
    refresh = new_refresh_token()
    await accounts.store_refresh(
        session,
        refresh.token_id,
        user.id,
        family_id,
        secret_hash(refresh.secret),
        timedelta(days=settings.refresh_token_days),
        family_expires_at,
    )
    await session.commit()
    return TokensOut(access_token=access, expires_in=lifetime, refresh_token=refresh.full)


# argon2 takes about 64 MiB and a fifth of a second a hash: a few at a time, off the event
# loop, so sign-ins cannot stall the API or run the machine out of memory.
HASHING = asyncio.Semaphore(4)


async def _verify(stored_hash: str | None, password: str) -> bool:
    async with HASHING:
        return await asyncio.to_thread(verify_password, stored_hash, password)


@router.post("/login", response_model=TokensOut, responses=_ERRORS)
async def login(
    body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep
) -> TokensOut:
    # The address the connection came from; behind a reverse proxy, run uvicorn with
    # --forwarded-allow-ips set to the proxy's, so this is the client's and not the proxy's.
    address = login_address(request.client.host if request.client else "unknown")
    account = secret_hash(str(body.email).strip().lower())
    await check_login(
        session,
        address,
        account,
        settings.rate_logins_per_address_minute,
        settings.rate_login_failures_per_account_minute,
    )
    user = await accounts.user_by_email(session, body.email)
    attempt = await accounts.record_login(session, address, account)
    await session.commit()  # counted, and the connection free while the hash is checked
    valid = await _verify(user.password_hash if user else None, body.password)
    if user is None or not valid or user.disabled_at is not None:
        raise Unauthorized(_REFUSED)
    await accounts.login_succeeded(session, attempt.id)
    ends = datetime.now(UTC) + timedelta(days=settings.session_max_days)
    return await issue_tokens(session, settings, user, uuid.uuid4(), ends)


@router.post("/refresh", response_model=TokensOut, responses=_ERRORS)
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokensOut:
    parts = read_refresh_token(body.refresh_token)
    token = await accounts.refresh_for_update(session, parts.token_id) if parts else None
    if parts is None or token is None or not same_secret(token.secret_hash, parts.secret):
        raise Unauthorized("the refresh token is not valid")
    now = datetime.now(UTC)
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if token.revoked_at is not None or (
        token.spent_at is not None and now - token.spent_at > grace
    ):
        # Shown again after it was spent: someone else holds a copy. End the whole family.
        await accounts.revoke_family(session, token.family_id)
        await session.commit()
        raise Unauthorized("the refresh token is not valid")
    user = await accounts.active_user(session, token.user_id)
    if user is None or min(token.expires_at, token.family_expires_at) < now:
        raise Unauthorized("the refresh token is not valid")
    if token.spent_at is None:
        await accounts.spend_refresh(session, token)
    # (Spent a moment ago, by a second tab or a retried request: a pair of its own.)
    return await issue_tokens(session, settings, user, token.family_id, token.family_expires_at)


@router.post("/logout", status_code=204, responses=_ERRORS)
async def logout(body: RefreshIn, session: SessionDep) -> Response:
    """Revokes the refresh token's family; the access token in hand ends with its expiry."""
    parts = read_refresh_token(body.refresh_token)
    token = await accounts.refresh_for_update(session, parts.token_id) if parts else None
    if parts is None or token is None or not same_secret(token.secret_hash, parts.secret):
        raise Unauthorized("the refresh token is not valid")
    await accounts.revoke_family(session, token.family_id)
    await session.commit()
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=_ERRORS)
async def me(caller: CallerDep) -> Me:
    return Me(kind=caller.kind, id=caller.id, role=caller.role, customer_id=caller.customer_id)
