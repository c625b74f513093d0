"""Plan sign-off as the API shows it: the brief, the sitemap, and the wireframe and style
guide made from them, which the client approves together."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from sitegen.api.schemas import Message, Person, StrictBody
from sitegen.api.schemas_design import DesignLinks


class PlanPublic(BaseModel):
    project_id: uuid.UUID
    status: str = Field(description="not_requested, pending, awaiting_approval or approved")
    version: int | None
    brief_markdown: str | None
    pages: list[dict[str, Any]] = Field(default_factory=list)
    wireframe_version: int | None = Field(
        default=None, description="The wireframe of these pages, signed off with them."
    )
    style_guide_version: int | None = Field(
        default=None, description="The style guide of the plan's colours and fonts."
    )
    design: DesignLinks | None = Field(
        default=None, description="Where to look at the wireframe and style guide."
    )


class PlanApprovalCreate(StrictBody):
    approved_by: Person


class PlanRevisionCreate(StrictBody):
    message: Message
    requested_by: Person | None = None


class PlanDecision(BaseModel):
    approved: bool
    plan_version: int
    reason: str | None = None
    summary: str | None = None
