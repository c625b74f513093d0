"""Who is calling, and what they may see: every protected route depends on `authenticate`,
which reads the bearer credential (an access token or an API key), and binds the request's
session to the caller's tenant (sitegen/db/tenancy.py). Postgres does the rest: a client's
query returns its own customer's rows only, so a foreign project is a 404, never a 403."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.api.deps import SessionDep, SettingsDep
from sitegen.api.errors import Forbidden, Unauthorized
from sitegen.auth import access_tokens
from sitegen.auth.cookies import ACCESS_COOKIE
from sitegen.auth.credentials import API_KEY_PREFIX, read_api_key, same_secret
from sitegen.db import accounts, tenancy
from sitegen.db.tables import UserRole
from sitegen.settings import Settings

AGENCY_ROLES = (UserRole.OPERATOR, UserRole.ADMIN)


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: uuid.UUID
    role: UserRole
    customer_id: uuid.UUID | None

    @property
    def agency(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def scope(self) -> tenancy.Scope:
        if self.agency:
            return tenancy.AGENCY
        assert self.customer_id is not None  # the database checks a client has a customer
        return tenancy.customer(self.customer_id)


# auto_error=False: a missing header is our 401 (with our body), not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An access token, or an API key (sgk_...)")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _from_api_key(session: AsyncSession, text: str) -> Principal:
    parts = read_api_key(text)
    key = await accounts.api_key_by_prefix(session, parts.prefix) if parts else None
    if parts is None or key is None or key.revoked_at is not None:
        raise Unauthorized("the API key is not valid")
    if not same_secret(key.secret_hash, parts.secret):
        raise Unauthorized("the API key is not valid")
    return Principal("api_key", key.id, UserRole(key.role), None)


async def _from_access_token(settings: Settings, session: AsyncSession, text: str) -> Principal:
    try:
        claims = access_tokens.verify(settings, text)
    except access_tokens.TokenInvalid:
        raise Unauthorized("the access token is not valid or has expired") from None
    # The row, not only the token: a disabled user or a changed role counts at once.
    user = await accounts.active_user(session, claims.user_id)
    if user is None:
        raise Unauthorized("the access token is not valid or has expired")
    return Principal("user", user.id, UserRole(user.role), user.customer_id)


async def resolve(settings: Settings, session: AsyncSession, credential: str) -> Principal:
    """The caller a bearer credential names, or Unauthorized; ends its read transaction."""
    if credential.startswith(API_KEY_PREFIX):
        principal = await _from_api_key(session, credential)
    else:
        principal = await _from_access_token(settings, session, credential)
    await session.commit()
    return principal


# The portal's sign-in, as a cookie (sitegen/portal/page.py), so the browser's own
# EventSource can read a project's live events. Reads only: a cookie rides along with
# requests other sites make, so nothing that changes state may take it.
_SAFE_METHODS = ("GET", "HEAD")


def _credential(request: Request, bearer: HTTPAuthorizationCredentials | None) -> str:
    if bearer is not None:
        return bearer.credentials
    cookie = request.cookies.get(ACCESS_COOKIE)
    if cookie and request.method in _SAFE_METHODS and not cookie.startswith(API_KEY_PREFIX):
        return cookie
    raise Unauthorized()


async def authenticate(
    request: Request, settings: SettingsDep, session: SessionDep, bearer: BearerDep
) -> Principal:
    principal = await resolve(settings, session, _credential(request, bearer))
    tenancy.bind(session, principal.scope)
    request.state.principal = principal
    return principal


CallerDep = Annotated[Principal, Depends(authenticate)]


async def operator(caller: CallerDep) -> Principal:
    if not caller.agency:
        raise Forbidden("only the agency's operators may do this")
    return caller


async def admin(caller: CallerDep) -> Principal:
    if caller.role != UserRole.ADMIN:
        raise Forbidden("only an admin may do this")
    return caller


OperatorDep = Annotated[Principal, Depends(operator)]
AdminDep = Annotated[Principal, Depends(admin)]
# For routers and routes that need the check but not the caller.
SIGNED_IN = [Depends(authenticate)]
OPERATORS = [Depends(operator)]
