"""Bodies of the sign-in, user and API key routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from sitegen.api.schemas import StrictBody
from sitegen.auth.passwords import MAX_LENGTH, MIN_LENGTH

Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
NewPassword = Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
# Opaque to the caller; the patterns live in sitegen/auth/credentials.py.
RefreshText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Role = Literal["client", "operator", "admin"]


class LoginIn(StrictBody):
    email: EmailStr
    password: Password


class RefreshIn(StrictBody):
    refresh_token: RefreshText


class TokensOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str


class Me(BaseModel):
    kind: Literal["user", "api_key"]
    id: uuid.UUID
    role: Role
    customer_id: uuid.UUID | None


class UserIn(StrictBody):
    email: EmailStr
    password: NewPassword
    role: Role
    # A client belongs to one customer, named by its id or its e-mail.
    customer_id: uuid.UUID | None = None
    customer_email: EmailStr | None = None


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    customer_id: uuid.UUID | None
    disabled: bool
    created_at: datetime | None


class ApiKeyIn(StrictBody):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Literal["operator", "admin"] = "operator"


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    # The start of the key, to tell keys apart; the key itself is shown once, at creation.
    prefix: str
    revoked: bool
    created_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str
