"""Personas, the provider configurations they run on, and which template or order chose
which persona for a step (seed 003's personas and llm_provider_configs).

Personas and provider configurations are the agency's (operators manage them; no tenant
owns them). An override for an order names its project, so it is a tenant table like the
others: a client can never read it, and the agency reads every row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from sitegen.db.columns import created_at, updated_at
from sitegen.db.tables_core import _uuid_pk


class LLMProviderConfig(SQLModel, table=True):
    __tablename__ = "llm_provider_config"
    __table_args__ = (sa.CheckConstraint("provider IN ('anthropic', 'offline')", name="provider"),)

    id: uuid.UUID = _uuid_pk()
    name: str = Field(max_length=100, unique=True)
    provider: str = Field(max_length=20)
    model: str = Field(max_length=80)
    # A Fernet token (sitegen/config_secrets.py); never returned by the API or logged.
    api_key_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # What the API shows of the key: enough to tell two keys apart, not to use one.
    api_key_last4: str | None = Field(default=None, max_length=4)
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class Persona(SQLModel, table=True):
    __tablename__ = "persona"
    __table_args__ = (
        sa.CheckConstraint(
            "temperature IS NULL OR (temperature >= 0 AND temperature <= 1)", name="temperature"
        ),
    )

    id: uuid.UUID = _uuid_pk()
    name: str = Field(max_length=100, unique=True)
    # The AI step (sitegen/contracts/ai_roles.py AIStep) this persona speaks for.
    step: str = Field(max_length=30, index=True)
    # Set to `step` on the step's default persona, NULL on the others: one default a step.
    default_step: str | None = Field(default=None, max_length=30, unique=True)
    role: str = Field(max_length=200)
    goal: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    backstory: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # NULL: the provider configuration's model.
    model: str | None = Field(default=None, max_length=80)
    temperature: float | None = Field(default=None, sa_column=sa.Column(sa.Float))
    max_tokens: int
    effort: str | None = Field(default=None, max_length=10)
    # NULL: the deployment's provider and key. A configuration in use cannot be deleted.
    provider_config_id: uuid.UUID | None = Field(
        default=None, foreign_key="llm_provider_config.id", index=True, ondelete="RESTRICT"
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())


class PersonaOverride(SQLModel, table=True):
    """A template's or an order's choice of persona for one step; exactly one of
    template_id and project_id is set."""

    __tablename__ = "persona_override"
    __table_args__ = (
        sa.UniqueConstraint("step", "template_id"),
        sa.UniqueConstraint("step", "project_id"),
        sa.CheckConstraint("(template_id IS NULL) <> (project_id IS NULL)", name="one_target"),
    )

    id: uuid.UUID = _uuid_pk()
    step: str = Field(max_length=30)
    persona_id: uuid.UUID = Field(foreign_key="persona.id", index=True, ondelete="RESTRICT")
    template_id: str | None = Field(default=None, max_length=50)
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="CASCADE"
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at())
