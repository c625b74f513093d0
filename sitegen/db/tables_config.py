"""Agency-wide configuration: integration settings (secrets encrypted) and the template catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, jsonb, timestamp, updated_at
from sitegen.db.tables_core import _uuid_pk


class IntegrationConfig(SQLModel, table=True):
    __tablename__ = "integration_config"
    __table_args__ = (sa.UniqueConstraint("integration_type", "config_key"),)

    id: uuid.UUID = _uuid_pk()
    integration_type: str = Field(max_length=50, index=True)
    config_key: str = Field(max_length=100)
    # Encrypted (Fernet) when is_secret; never returned by the API or logged.
    config_value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    is_secret: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_tested_at: datetime | None = Field(default=None, sa_column=timestamp())
    last_test_success: bool | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class TemplateRegistry(SQLModel, table=True):
    __tablename__ = "template_registry"

    id: str = Field(primary_key=True, max_length=50)
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    repo_url: str = Field(max_length=500)
    default_branch: str = Field(
        default="main", max_length=50, sa_column_kwargs={"server_default": "main"}
    )
    config: dict[str, Any] = Field(sa_column=jsonb(nullable=False))
    thumbnail_url: str | None = Field(default=None, max_length=500)
    preview_url: str | None = Field(default=None, max_length=500)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())
