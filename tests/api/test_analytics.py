"""GET /api/v1/analytics: the agency's numbers per template and per ISO week, over a range of
order dates; what a range or a grouping cannot be is a 422 naming the query parameter.

The projects here are dated in March 2025, weeks no other test's orders fall in, so every
number is exact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, update

from sitegen.contracts.status import ProjectStatus, RevisionSource
from sitegen.db.tables import AICall, OnboardingSubmission, Project, RevisionRequest, SiteVersion
from tests.api.support import create, errors_by_field

ANALYTICS = "/api/v1/analytics"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


async def _project(
    api: httpx.AsyncClient,
    sessions: Any,
    *,
    template: str,
    ordered: datetime,
    status: ProjectStatus,
    preview_after: timedelta | None,
    revisions: int,
    billed: list[str],
) -> None:
    made = await create(api, template_id=template)
    project_id = uuid.UUID(made["id"])
    async with sessions() as session, session.begin():
        await session.exec(
            update(Project)
            .where(col(Project.id) == project_id)
            .values(created_at=ordered, status=status.value)
        )
        form = ordered + timedelta(hours=1)
        session.add(OnboardingSubmission(project_id=project_id, raw_data={}, created_at=form))
        if preview_after is not None:
            session.add(
                SiteVersion(
                    project_id=project_id,
                    number=1,
                    kind="preview",
                    commit_sha="abc",
                    deploy_id="d1",
                    url="http://x.localhost/",
                    artifacts={},
                    created_at=form + preview_after,
                )
            )
        for n in range(revisions):
            session.add(
                RevisionRequest(
                    project_id=project_id, source=RevisionSource.CLIENT, message=f"change {n}"
                )
            )
        for n, cost in enumerate([*billed, "0.40"]):
            session.add(
                AICall(
                    project_id=project_id,
                    idempotency_key=f"analytics/{n}",
                    pipeline_step="generate_content",
                    ai_step="page_content",
                    model="claude-sonnet-5-5",
                    # The last one failed: its reservation is never billed.
                    status="paid" if n < len(billed) else "failed",
                    reserved_usd=Decimal(cost),
                    cost_usd=Decimal(cost) if n < len(billed) else Decimal(0),
                )
            )


@pytest.fixture
async def march(api: httpx.AsyncClient, sessions: Any) -> None:
    """Two weeks of orders, once per test session (they stay in the shared database)."""
    found = await api.get(ANALYTICS, params={"start": "2025-03-03", "end": "2025-03-16"})
    if found.json()["total"]["projects"]:
        return
    await _project(
        api,
        sessions,
        template="landing",
        ordered=at(4),
        status=ProjectStatus.DELIVERED,
        preview_after=timedelta(minutes=30),
        revisions=2,
        billed=["0.50"],
    )
    await _project(
        api,
        sessions,
        template="saas",
        ordered=at(5),
        status=ProjectStatus.CANCELLED,
        preview_after=timedelta(hours=1),
        revisions=0,
        billed=["0.20", "0.05"],
    )
    await _project(
        api,
        sessions,
        template="landing",
        ordered=at(11),
        status=ProjectStatus.GENERATING,
        preview_after=None,
        revisions=1,
        billed=[],
    )


def group(
    key: str,
    projects: int,
    delivered: int,
    cancelled: int,
    success: float | None,
    previews: int,
    median: float | None,
    revisions: int,
    cost: str,
) -> dict[str, Any]:
    return {
        "key": key,
        "projects": projects,
        "delivered": delivered,
        "cancelled": cancelled,
        "success_rate": success,
        "previews": previews,
        "median_time_to_preview_seconds": median,
        "revisions": revisions,
        "revisions_per_project": revisions / projects if projects else None,
        "ai_cost_usd": Decimal(cost),
    }


def groups(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups, then the total; costs as numbers (the API writes them as text)."""
    return [
        {**g, "ai_cost_usd": Decimal(g["ai_cost_usd"])} for g in [*body["groups"], body["total"]]
    ]


async def test_per_iso_week(api: httpx.AsyncClient, march: None) -> None:
    found = await api.get(ANALYTICS, params={"start": "2025-03-03", "end": "2025-03-16"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["group_by"], body["start"], body["end"]) == ("week", "2025-03-03", "2025-03-16")
    assert groups(body) == [
        group("2025-W10", 2, 1, 1, 0.5, 2, 2700.0, 2, "0.75"),
        group("2025-W11", 1, 0, 0, None, 0, None, 1, "0"),
        group("all", 3, 1, 1, 0.5, 2, 2700.0, 3, "0.75"),
    ]


async def test_per_template_and_a_shorter_range(api: httpx.AsyncClient, march: None) -> None:
    found = await api.get(
        ANALYTICS, params={"group_by": "template", "start": "2025-03-03", "end": "2025-03-16"}
    )
    assert found.status_code == 200, found.text
    assert groups(found.json()) == [
        group("landing", 2, 1, 0, 1.0, 1, 1800.0, 3, "0.5"),
        group("saas", 1, 0, 1, 0.0, 1, 3600.0, 0, "0.25"),
        group("all", 3, 1, 1, 0.5, 2, 2700.0, 3, "0.75"),
    ]
    first_week = await api.get(ANALYTICS, params={"start": "2025-03-03", "end": "2025-03-09"})
    assert [g["key"] for g in first_week.json()["groups"]] == ["2025-W10"]
    assert first_week.json()["total"]["projects"] == 2


async def test_weeks_without_orders_are_there_at_zero(api: httpx.AsyncClient) -> None:
    found = await api.get(ANALYTICS, params={"start": "2024-12-30", "end": "2025-01-12"})
    assert found.status_code == 200, found.text
    body = found.json()
    # ISO weeks: 30 December 2024 is in the first week of 2025.
    assert [g["key"] for g in body["groups"]] == ["2025-W01", "2025-W02"]
    assert groups(body)[-1] == group("all", 0, 0, 0, None, 0, None, 0, "0")


async def test_the_default_range_is_the_last_twelve_weeks(api: httpx.AsyncClient) -> None:
    body = (await api.get(ANALYTICS)).json()
    today = datetime.now(UTC).date()
    assert body["end"] == today.isoformat()
    assert body["start"] == (today - timedelta(days=83)).isoformat()
    assert 12 <= len(body["groups"]) <= 13


async def test_the_calendars_first_days(api: httpx.AsyncClient) -> None:
    body = (await api.get(ANALYTICS, params={"end": "0001-01-05"})).json()
    assert (body["start"], body["end"]) == ("0001-01-01", "0001-01-05")
    assert [g["key"] for g in body["groups"]] == ["0001-W01"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "month"}, "query.group_by"),
        ({"start": "2025-02-30"}, "query.start"),
        ({"start": "2025-03-10", "end": "2025-03-09"}, "query.start"),
        ({"start": "2024-01-01", "end": "2025-03-09"}, "query.start"),
        ({"end": "2999-01-01"}, "query.end"),
        ({"end": "9999-12-31"}, "query.end"),
        # The calendar's first day: no twelve weeks before it to default to, and no 500.
        ({"end": "0001-01-01", "start": "9999-12-31"}, "query.start"),
    ],
)
async def test_bad_input_names_the_parameter(
    api: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    assert set(errors_by_field(await api.get(ANALYTICS, params=params))) == {field}
