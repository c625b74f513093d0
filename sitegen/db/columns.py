"""Column helpers so every table spells timestamps, JSONB and enums the same way."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Stable constraint names, so Alembic migrations and the models agree on them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at() -> Any:
    return sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def updated_at() -> Any:
    # Rows are touched through the ORM; onupdate keeps updated_at honest without triggers.
    return sa.Column(
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
        onupdate=sa.func.now(),
    )


def timestamp(nullable: bool = True) -> Any:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


def jsonb(default: str | None = None, nullable: bool = True, name: str | None = None) -> Any:
    kwargs: dict[str, Any] = {"nullable": nullable}
    if default is not None:
        kwargs["server_default"] = sa.text(f"'{default}'::jsonb")
    if name is not None:
        return sa.Column(name, JSONB, **kwargs)
    return sa.Column(JSONB, **kwargs)


def pg_enum(enum_cls: type[StrEnum], name: str, default: StrEnum | None = None) -> Any:
    sa_enum = sa.Enum(
        enum_cls,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    kwargs: dict[str, Any] = {"nullable": False}
    if default is not None:
        kwargs["server_default"] = default.value
    return sa.Column(sa_enum, **kwargs)
