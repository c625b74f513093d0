"""The body of GET /api/v1/analytics: the agency's numbers per template or ISO week."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from sitegen.db.analytics import GroupBy


class AnalyticsGroup(BaseModel):
    """The projects ordered in the range with one template, or in one ISO week."""

    key: str = Field(
        description="The template's id, or the ISO week (e.g. 2026-W49, UTC) the projects "
        "were ordered in; `all` in the total."
    )
    projects: int = Field(description="Projects ordered.")
    delivered: int = Field(description="Of them, sites delivered (approved and live).")
    cancelled: int
    success_rate: float | None = Field(
        description="Delivered over finished (delivered or cancelled); None while none has "
        "finished."
    )
    previews: int = Field(description="Projects that reached a first preview.")
    median_time_to_preview_seconds: float | None = Field(
        description="From the client's first onboarding form to the first preview; None "
        "without a preview."
    )
    revisions: int = Field(description="Revision requests, every source and outcome.")
    revisions_per_project: float | None = Field(description="None without projects.")
    ai_cost_usd: Decimal = Field(description="What the projects' AI calls were billed.")


class Analytics(BaseModel):
    group_by: GroupBy
    start: date = Field(description="The first day of the range (UTC), included.")
    end: date = Field(description="The last day of the range (UTC), included.")
    groups: list[AnalyticsGroup] = Field(
        description="Per template with projects, or per ISO week of the range (a week with "
        "none at 0), in key order."
    )
    total: AnalyticsGroup
