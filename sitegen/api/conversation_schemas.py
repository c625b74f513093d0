"""What the conversation routes take and give."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sitegen.api.schemas import StrictBody
from sitegen.contracts.conversation import (
    BusinessPlan,
    ConversationPhase,
    ConversationStatus,
    MessageRole,
    MessageText,
)
from sitegen.contracts.onboarding import Locale


class MessageIn(StrictBody):
    text: MessageText = Field(description="The client's message (1 to 4000 characters).")
    locale: Locale | None = Field(
        default=None, description="The client's language; read from the first message if unset."
    )


class MessagePublic(BaseModel):
    seq: int
    role: MessageRole
    content: str
    token_count: int | None
    model: str | None
    created_at: datetime | None


class ConversationPublic(BaseModel):
    project_id: uuid.UUID
    phase: ConversationPhase
    status: ConversationStatus
    locale: Locale | None
    messages: list[MessagePublic]
    plan: BusinessPlan | None = None
    onboarding: dict[str, Any] | None = Field(
        default=None,
        description="The prefilled onboarding, once there is a plan: confirm or correct it.",
    )


class ConfirmIn(StrictBody):
    onboarding: dict[str, Any] | None = Field(
        default=None,
        description="The onboarding as the client corrected it (see `Onboarding`); "
        "omitted: the prefilled one.",
    )


class ConfirmOut(BaseModel):
    project_id: uuid.UUID
    phase: ConversationPhase
    submission_id: uuid.UUID | None
    generation_started: bool
