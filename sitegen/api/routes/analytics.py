"""GET /api/v1/analytics: sites delivered, time to preview, revisions, success rate and AI
cost, per template or per ISO week, over a bounded range of order dates (operators only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from sitegen.api.analytics_schemas import Analytics, AnalyticsGroup
from sitegen.api.deps import SessionDep, SettingsDep
from sitegen.api.errors import ApiError
from sitegen.db.analytics import AnalyticsRow, GroupBy, analytics
from sitegen.db.engine import limit_statement_time

router = APIRouter(tags=["analytics"])

# At most a year and a day per request: a bounded scan, and at most 54 weekly groups.
MAX_DAYS = 366
DEFAULT_DAYS = 12 * 7


def _group(key: str, row: AnalyticsRow | None) -> AnalyticsGroup:
    if row is None:
        row = AnalyticsRow(key, 0, 0, 0, 0, None, 0, Decimal(0))
    finished = row.delivered + row.cancelled
    return AnalyticsGroup(
        key=key,
        projects=row.projects,
        delivered=row.delivered,
        cancelled=row.cancelled,
        success_rate=row.delivered / finished if finished else None,
        previews=row.previews,
        median_time_to_preview_seconds=row.median_seconds_to_preview,
        revisions=row.revisions,
        revisions_per_project=row.revisions / row.projects if row.projects else None,
        ai_cost_usd=row.ai_cost_usd,
    )


def _weeks(start: date, end: date) -> list[str]:
    """Every ISO week the range touches, in order (as to_char writes them: 2026-W05)."""
    keys: dict[str, None] = {}
    for offset in range((end - start).days + 1):
        year, week, _ = (start + timedelta(days=offset)).isocalendar()
        keys[f"{year:04d}-W{week:02d}"] = None
    return list(keys)


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    end = end or today
    # The calendar's first days have fewer than 12 weeks before them.
    start = start or end - timedelta(days=min(DEFAULT_DAYS, end.toordinal()) - 1)
    # Tomorrow is allowed: it is already tomorrow east of UTC.
    if end > today + timedelta(days=1):
        raise ApiError(422, f"must not be after {today + timedelta(days=1)} (UTC)", "query.end")
    if start > end:
        raise ApiError(422, "must not be after end", "query.start")
    if (end - start).days + 1 > MAX_DAYS:
        raise ApiError(422, f"the range may span at most {MAX_DAYS} days", "query.start")
    return start, end


@router.get(
    "/analytics",
    response_model=Analytics,
    responses={
        422: {"description": "An unknown grouping, or a range that is inverted or too long"},
        503: {"description": "The database is unavailable or too slow to answer now"},
    },
)
async def get_analytics(
    session: SessionDep,
    settings: SettingsDep,
    group_by: Annotated[GroupBy, Query(description="Per template, or per ISO week.")] = "week",
    start: Annotated[
        date | None, Query(description="First order date (UTC), included; default: 12 weeks.")
    ] = None,
    end: Annotated[
        date | None, Query(description="Last order date (UTC), included; default: today.")
    ] = None,
) -> Analytics:
    """Projects ordered in the range, grouped; each counted as it stands now."""
    start, end = _range(start, end)
    await limit_statement_time(session, settings.metrics_query_timeout_seconds)
    rows = await analytics(
        session,
        group_by,
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )
    await session.commit()
    found = {r.key: r for r in rows}
    keys = _weeks(start, end) if group_by == "week" else [k for k in found if k is not None]
    return Analytics(
        group_by=group_by,
        start=start,
        end=end,
        groups=[_group(k, found.get(k)) for k in keys],
        total=_group("all", found.get(None)),
    )
