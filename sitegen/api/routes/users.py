"""The agency's people and keys: operators make client accounts; only an admin makes
operators, admins and API keys. A key is shown once, when it is made."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Response

from sitegen.api.account_schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, UserIn, UserOut
from sitegen.api.deps import SessionDep
from sitegen.api.errors import ApiError, Conflict, Forbidden, NotFound
from sitegen.api.principal import AdminDep, OperatorDep
from sitegen.auth.credentials import new_api_key, secret_hash
from sitegen.auth.passwords import hash_password
from sitegen.db import accounts
from sitegen.db.tables import ApiKey, AppUser, Customer, UserRole

router = APIRouter(tags=["users"])
_ERRORS: dict[int | str, dict[str, str]] = {
    422: {"description": "Invalid input: each error names its field and reason"},
    401: {"description": "Not signed in"},
    403: {"description": "Not the agency, or not an admin"},
    404: {"description": "No such user or key"},
    409: {"description": "A user with this e-mail exists"},
}


def _user(user: AppUser) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=UserRole(user.role),
        customer_id=user.customer_id,
        disabled=user.disabled_at is not None,
        created_at=user.created_at,
    )


def _key(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        role=UserRole(key.role),
        prefix=f"sgk_{key.prefix}",
        revoked=key.revoked_at is not None,
        created_at=key.created_at,
    )


@router.post("/users", status_code=201, response_model=UserOut, responses=_ERRORS)
async def create_user(body: UserIn, caller: OperatorDep, session: SessionDep) -> UserOut:
    role = UserRole(body.role)
    if role != UserRole.CLIENT and caller.role != UserRole.ADMIN:
        raise Forbidden("only an admin may make operators and admins")
    customer_id = None
    if role == UserRole.CLIENT:
        customer_id = body.customer_id
        if body.customer_email is not None:
            customer_id = await accounts.customer_id_by_email(session, body.customer_email)
        if customer_id is None or await session.get(Customer, customer_id) is None:
            raise ApiError(422, "a client belongs to an existing customer", "customer_id")
    elif body.customer_id or body.customer_email:
        raise ApiError(422, "only a client belongs to a customer", "customer_id")
    try:
        hashed = await asyncio.to_thread(hash_password, body.password)
        user = await accounts.create_user(session, body.email, hashed, role, customer_id)
    except accounts.EmailTaken:
        raise Conflict("a user with this e-mail exists", "email") from None
    await session.commit()
    return _user(user)


@router.get("/users", response_model=list[UserOut], responses=_ERRORS)
async def list_users(_: OperatorDep, session: SessionDep) -> list[UserOut]:
    return [_user(u) for u in await accounts.list_users(session)]


@router.post("/users/{user_id}/disable", response_model=UserOut, responses=_ERRORS)
async def disable_user(user_id: uuid.UUID, caller: OperatorDep, session: SessionDep) -> UserOut:
    """Signs the user out everywhere and refuses their tokens from now on."""
    user = await session.get(AppUser, user_id)
    if user is None:
        raise NotFound("user")
    if user.role != UserRole.CLIENT and caller.role != UserRole.ADMIN:
        raise Forbidden("only an admin may disable operators and admins")
    if user.disabled_at is None:
        await accounts.disable_user(session, user)
        await session.commit()
    return _user(user)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, responses=_ERRORS)
async def create_api_key(body: ApiKeyIn, caller: AdminDep, session: SessionDep) -> ApiKeyCreated:
    parts = new_api_key()
    made_by = caller.id if caller.kind == "user" else None
    key = await accounts.create_api_key(
        session, parts.prefix, secret_hash(parts.secret), body.name, UserRole(body.role), made_by
    )
    await session.commit()
    return ApiKeyCreated(**_key(key).model_dump(), key=parts.full)


@router.get("/api-keys", response_model=list[ApiKeyOut], responses=_ERRORS)
async def list_api_keys(_: AdminDep, session: SessionDep) -> list[ApiKeyOut]:
    return [_key(k) for k in await accounts.list_api_keys(session)]


@router.delete("/api-keys/{key_id}", status_code=204, responses=_ERRORS)
async def revoke_api_key(key_id: uuid.UUID, _: AdminDep, session: SessionDep) -> Response:
    if not await accounts.revoke_api_key(session, key_id):
        raise NotFound("API key")
    await session.commit()
    return Response(status_code=204)
