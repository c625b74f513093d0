"""The agency's numbers over a range of orders, per template or per ISO week: one statement.

A group is the projects ordered (created) in the range with that template, or in that ISO
week (UTC). Everything about them is counted as it stands now: a project ordered in March and
delivered in April is one of March's deliveries. Time to preview runs from the client's first
onboarding form to the first preview deployed (site_version 1), the wait for the client's
corrections included: what the client lived through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.status import ProjectStatus
from sitegen.db.costs import BILLED
from sitegen.db.tables import AICall, OnboardingSubmission, Project, RevisionRequest, SiteVersion

GroupBy = Literal["template", "week"]
# to_char's ISO year and week: 2026-W49, as ISO 8601 writes a week.
ISO_WEEK = 'IYYY-"W"IW'


@dataclass(frozen=True)
class AnalyticsRow:
    key: str | None  # None: the total of every group
    projects: int
    delivered: int
    cancelled: int
    previews: int
    median_seconds_to_preview: float | None
    revisions: int
    ai_cost_usd: Decimal


def _key(group_by: GroupBy) -> Any:
    if group_by == "template":
        return col(Project.template_id)
    return func.to_char(func.timezone("UTC", col(Project.created_at)), ISO_WEEK)


def _per_project(group_by: GroupBy, start: datetime, end: datetime) -> Any:
    """One row per project ordered in [start, end): its group, status and what it took."""
    mine = col(Project.id)
    first_preview = (
        select(func.min(col(SiteVersion.created_at)))
        .where(col(SiteVersion.project_id) == mine)
        .scalar_subquery()
    )
    revisions = (
        select(func.count()).where(col(RevisionRequest.project_id) == mine).scalar_subquery()
    )
    cost = (
        select(func.coalesce(func.sum(col(AICall.cost_usd)), Decimal(0)))
        .where(col(AICall.project_id) == mine)
        .where(col(AICall.status).in_(BILLED))
        .scalar_subquery()
    )
    return (
        select(
            _key(group_by).label("key"),
            col(Project.status).label("status"),
            func.extract("epoch", first_preview - col(OnboardingSubmission.created_at)).label(
                "to_preview"
            ),
            revisions.label("revisions"),
            cost.label("cost"),
        )
        .select_from(Project)
        .outerjoin(OnboardingSubmission, col(OnboardingSubmission.project_id) == mine)
        .where(col(Project.created_at) >= start)
        .where(col(Project.created_at) < end)
        .subquery()
    )


async def analytics(
    session: AsyncSession, group_by: GroupBy, start: datetime, end: datetime
) -> list[AnalyticsRow]:
    """A row per group with projects, in key order, then the total (key None). The caller
    bounds the range and the time (engine.limit_statement_time)."""
    p = _per_project(group_by, start, end).c
    total = func.grouping(p.key)
    found = await session.execute(
        select(
            p.key,
            total,
            func.count(),
            func.count().filter(p.status == ProjectStatus.DELIVERED.value),
            func.count().filter(p.status == ProjectStatus.CANCELLED.value),
            func.count(p.to_preview),
            sa.func.percentile_cont(0.5).within_group(p.to_preview),
            func.coalesce(func.sum(p.revisions), 0),
            func.coalesce(func.sum(p.cost), Decimal(0)),
        )
        .group_by(func.grouping_sets(p.key, sa.tuple_()))
        .order_by(total, p.key)
    )
    return [
        AnalyticsRow(
            key=None if r[1] else str(r[0]),
            projects=r[2],
            delivered=r[3],
            cancelled=r[4],
            previews=r[5],
            median_seconds_to_preview=None if r[6] is None else float(r[6]),
            revisions=int(r[7]),
            ai_cost_usd=Decimal(r[8]),
        )
        for r in found.all()
    ]
