"""Request and response bodies of the HTTP API (what crosses the wire, nothing more)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from sitegen.contracts.onboarding import storable
from sitegen.contracts.status import ProjectStatus, StepStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Ref = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:/#-]+$"
    ),
]
Slug = Annotated[
    str, StringConstraints(min_length=3, max_length=50, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])$")
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    _storable = field_validator("*", mode="before")(storable)


class CustomerIn(_Body):
    name: Name
    email: EmailStr
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    external_ref: Ref | None = None


class OrderIn(_Body):
    reference: Ref = Field(description="The agency's or payment provider's order id; unique.")
    product_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "website"
    amount_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class ProjectCreate(_Body):
    customer: CustomerIn
    order: OrderIn
    template_id: Annotated[str, StringConstraints(min_length=1, max_length=50)] = "landing"
    name: Name
    slug: Slug | None = Field(
        default=None, description="Optional; derived from the name (and made unique) if omitted."
    )
    onboarding: dict[str, Any] | None = Field(
        default=None, description="The onboarding form, when the order arrives with it."
    )
    start_generation: bool = Field(
        default=False, description="Start generating right away (needs `onboarding`)."
    )


class ProjectPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    order_id: uuid.UUID | None
    name: str
    slug: str
    template_id: str
    status: ProjectStatus
    repo_url: str | None
    preview_url: str | None
    subdomain: str | None
    production_url: str | None
    workflow_id: str | None
    onboarding_submitted: bool = False
    validation_errors: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime | None
    updated_at: datetime | None


class OnboardingAccepted(BaseModel):
    project_id: uuid.UUID
    submission_id: uuid.UUID
    revision: int
    workflow_notified: bool = Field(
        description="True when a waiting generation run was told about the corrected form."
    )


class PipelineStepPublic(BaseModel):
    step_key: str
    step_order: int
    status: StepStatus
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: Decimal | None
    retry_count: int
    error_message: str | None
    output_ref: str | None
    details: dict[str, Any] | None = Field(
        default=None, description="what the step reports, e.g. AI tokens and cost, counts"
    )


class TemplatePublic(BaseModel):
    id: str
    name: str
    description: str | None
    pages: list[str]
    sections: list[str]


class GenerationStarted(BaseModel):
    project_id: uuid.UUID
    workflow_id: str
    run_id: str | None
    already_running: bool
    temporal_ui_url: str


class Health(BaseModel):
    status: str
    database: str
    temporal: str
