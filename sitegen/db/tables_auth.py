"""Who may call the API: users with a role, their refresh tokens, the agency's API keys, and
the login attempts a rate limit counts. None of these is a tenant table: a principal is looked
up before any tenant is known (see sitegen/db/tenancy.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, timestamp
from sitegen.db.tables_core import _uuid_pk


class UserRole(StrEnum):
    CLIENT = "client"  # belongs to one customer; sees that customer's projects only
    OPERATOR = "operator"  # the agency: every project, and the steering of runs
    ADMIN = "admin"  # an operator who may also make operators and admins


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        # A client belongs to a customer; the agency's people to none.
        sa.CheckConstraint(
            "(role = 'client') = (customer_id IS NOT NULL)", name="client_has_customer"
        ),
    )

    id: uuid.UUID = _uuid_pk()
    # Stored lower-cased: one account per address, however it is typed.
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    customer_id: uuid.UUID | None = Field(
        default=None, foreign_key="customer.id", index=True, ondelete="CASCADE"
    )
    disabled_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime | None = Field(default=None, sa_column=created_at())


class RefreshToken(SQLModel, table=True):
    """One per issued refresh token. A refresh spends it and issues the next one of the same
    family; a spent token shown again means it was stolen, and the whole family is revoked."""

    __tablename__ = "refresh_token"

    id: uuid.UUID = _uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    family_id: uuid.UUID = Field(index=True)
    # SHA-256 of the secret: it has 256 bits of entropy, so a slow hash adds nothing.
    secret_hash: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=timestamp(nullable=False))
    # When the sign-in it belongs to ends, however often it is refreshed.
    family_expires_at: datetime = Field(sa_column=timestamp(nullable=False))
    spent_at: datetime | None = Field(default=None, sa_column=timestamp())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime | None = Field(default=None, sa_column=created_at())


class ApiKey(SQLModel, table=True):
    """A key for the agency's own backend: `sgk_{prefix}_{secret}`; the prefix finds the row,
    the secret's hash proves it."""

    __tablename__ = "api_key"

    id: uuid.UUID = _uuid_pk()
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    created_by: uuid.UUID | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime | None = Field(default=None, sa_column=created_at())


class LoginAttempt(SQLModel, table=True):
    """Counted by address, and failures by account, for the login rate limits; rows older
    than a day are swept."""

    __tablename__ = "login_attempt"

    id: uuid.UUID = _uuid_pk()
    # An IPv4 address, or the /64 an IPv6 address is in (one machine may hold all of it).
    address: str = Field(max_length=64, index=True)
    # SHA-256 of the e-mail tried: counted without keeping the address itself.
    account: str = Field(max_length=64, index=True)
    succeeded: bool = Field(default=False)
    created_at: datetime | None = Field(default=None, sa_column=created_at())
