"""The fields of an order's urgency and start time, as they cross the wire (mixed into
ProjectCreate and ProjectPublic)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from sitegen.contracts.scheduling import OrderPriority


class OrderTiming(BaseModel):
    priority: OrderPriority = Field(
        default=OrderPriority.NORMAL,
        description="`rush`: its run is served before normal ones when the workers are busy.",
    )
    start_at: AwareDatetime | None = Field(
        default=None,
        description="Start generating no sooner than this (ISO 8601 with its UTC offset), in "
        "the future and at most SITEGEN_START_AT_MAX_DAYS (90) days ahead. Until then the "
        "project reads `pending` with its `scheduled_start`, and may be cancelled.",
    )


class ProjectTiming(BaseModel):
    priority: OrderPriority = OrderPriority.NORMAL
    scheduled_start: datetime | None = Field(
        default=None, description="When its run is to start, for an order asked to start later."
    )
