"""What GET /metrics reports, read from Postgres at scrape time: every API process answers
with the same numbers, whichever one Prometheus reaches, and none keeps counters of its own.

One aggregate statement per table, grouped only by closed vocabularies (step names,
statuses), so a scrape costs a handful of scans and the series it yields stay bounded
however many projects there are. The caller bounds the time (engine.limit_statement_time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.contracts.status import ProjectStatus, StepStatus
from sitegen.db.costs import committed_usd
from sitegen.db.tables import AICall, Notification, PipelineStep, Project, RevisionRequest

# Upper bounds (seconds) of the step duration histogram: sub-second bookkeeping up to builds
# that wait out a dependency.
DURATION_BUCKETS: tuple[float, ...] = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
# The window of "recently": what the error-rate and failures-across-projects alerts read.
RECENT = timedelta(hours=1)
# The window of the hourly AI allowance (activities/ai_ledger.py counts the same rows).
AI_RATE_WINDOW = timedelta(hours=1)
# ai_call.error holds the SDK's exception class name (integrations/ai/claude/metered.py);
# this one is the provider's HTTP 429: the organisation's own rate limit or quota.
PROVIDER_RATE_LIMITED = "RateLimitError"
_FINISHED_PROJECTS = (ProjectStatus.DELIVERED.value, ProjectStatus.CANCELLED.value)


@dataclass(frozen=True)
class StepGroup:
    """The pipeline_step rows of one step in one status: each project's latest run of it."""

    step: str
    status: str
    rows: int
    finished_recently: int
    # How long the oldest of them has been running (status running; else 0).
    oldest_running_seconds: float
    # Rows with a recorded duration; per bucket bound, how many took at most that long.
    timed: int
    duration_sum_seconds: float
    le_counts: tuple[int, ...]


@dataclass(frozen=True)
class AIGroup:
    """The ai_call ledger rows of one pipeline step in one status."""

    step: str
    status: str
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: Decimal
    provider_rate_limited: int


@dataclass(frozen=True)
class Quotas:
    """The highest share of each AI quota any project has used: its calls in the last hour
    over the hourly allowance, and (unfinished projects) what counts against its budget over
    the budget."""

    hourly_calls: float
    budget: float


@dataclass(frozen=True)
class MetricsSnapshot:
    steps: list[StepGroup]
    projects_failed_recently: int
    projects: dict[str, int]
    revisions: dict[str, int]
    ai: list[AIGroup]
    quotas: Quotas
    outbox_unsent: int
    outbox_oldest_unsent_seconds: float


def _epoch(interval: Any) -> Any:
    return func.extract("epoch", interval)


async def _steps(session: AsyncSession) -> list[StepGroup]:
    status = col(PipelineStep.status)
    duration = col(PipelineStep.duration_seconds)
    # A running row keeps its previous run's duration until it finishes: not counted.
    timed = col(PipelineStep.finished_at).is_not(None) & duration.is_not(None)
    running_for = _epoch(func.now() - col(PipelineStep.started_at))
    found = await session.execute(
        select(
            col(PipelineStep.step_key),
            status,
            func.count(),
            func.count().filter(col(PipelineStep.finished_at) > func.now() - RECENT),
            func.coalesce(func.max(running_for).filter(status == StepStatus.RUNNING), 0),
            func.count().filter(timed),
            func.coalesce(func.sum(duration).filter(timed), 0),
            *(func.count().filter(timed & (duration <= bound)) for bound in DURATION_BUCKETS),
        ).group_by(col(PipelineStep.step_key), status)
    )
    return [
        StepGroup(
            step=r[0],
            status=StepStatus(r[1]).value,
            rows=r[2],
            finished_recently=r[3],
            oldest_running_seconds=float(r[4]),
            timed=r[5],
            duration_sum_seconds=float(r[6]),
            le_counts=tuple(r[7:]),
        )
        for r in found.all()
    ]


async def _projects_failed_recently(session: AsyncSession) -> int:
    """Projects with a step that failed within RECENT and has not been run again since."""
    found = await session.execute(
        select(func.count(func.distinct(col(PipelineStep.project_id))))
        .where(col(PipelineStep.status) == StepStatus.FAILED)
        .where(col(PipelineStep.finished_at) > func.now() - RECENT)
    )
    return int(found.scalar_one())


async def _by_status(session: AsyncSession, column: Any) -> dict[str, int]:
    found = await session.execute(select(column, func.count()).group_by(column))
    return {str(getattr(s, "value", s)): n for s, n in found.all()}


async def _ai(session: AsyncSession) -> list[AIGroup]:
    step, status = col(AICall.pipeline_step), col(AICall.status)
    found = await session.execute(
        select(
            step,
            status,
            func.count(),
            *(
                func.coalesce(func.sum(c), 0)
                for c in (
                    col(AICall.input_tokens),
                    col(AICall.output_tokens),
                    col(AICall.cache_read_tokens),
                    col(AICall.cache_write_tokens),
                )
            ),
            # Only a settled call has a cost; failed and lost ones stay at 0.
            func.coalesce(func.sum(col(AICall.cost_usd)), Decimal(0)),
            func.count().filter(col(AICall.error) == PROVIDER_RATE_LIMITED),
        ).group_by(step, status)
    )
    return [AIGroup(r[0], r[1], r[2], r[3], r[4], r[5], r[6], Decimal(r[7]), r[8]) for r in found]


async def _quotas(session: AsyncSession, calls_per_hour: int, default_budget: Decimal) -> Quotas:
    hourly = (
        select(func.count().label("calls"))
        .where(col(AICall.created_at) > func.now() - AI_RATE_WINDOW)
        .group_by(col(AICall.project_id))
        .subquery()
    )
    # Grouped by the project's key, so its budget column may be read beside the sum.
    budget = (
        select(
            (committed_usd() / func.coalesce(col(Project.ai_budget_usd), default_budget)).label(
                "used"
            )
        )
        .select_from(Project)
        .join(AICall, col(AICall.project_id) == col(Project.id))
        .where(col(Project.status).not_in(_FINISHED_PROJECTS))
        .group_by(col(Project.id))
        .subquery()
    )
    found = await session.execute(
        select(
            select(func.coalesce(func.max(hourly.c.calls), 0)).scalar_subquery(),
            select(func.coalesce(func.max(budget.c.used), 0)).scalar_subquery(),
        )
    )
    calls, used = found.one()
    return Quotas(hourly_calls=int(calls) / calls_per_hour, budget=float(used))


async def _outbox(session: AsyncSession) -> tuple[int, float]:
    """Rows still to send (not sent, not given up): the due index's own predicate."""
    found = await session.execute(
        select(
            func.count(),
            func.coalesce(_epoch(func.now() - func.min(col(Notification.created_at))), 0),
        )
        .where(col(Notification.sent_at).is_(None))
        .where(col(Notification.failed_at).is_(None))
    )
    count, age = found.one()
    return int(count), float(age)


async def read_snapshot(
    session: AsyncSession, *, calls_per_hour: int, default_budget: Decimal
) -> MetricsSnapshot:
    """Everything /metrics exports, in the session's open transaction (the caller ends it).
    `calls_per_hour` and `default_budget` are the settings the worker enforces."""
    steps = await _steps(session)
    unsent, oldest = await _outbox(session)
    return MetricsSnapshot(
        steps=steps,
        projects_failed_recently=await _projects_failed_recently(session),
        projects=await _by_status(session, col(Project.status)),
        revisions=await _by_status(session, col(RevisionRequest.status)),
        ai=await _ai(session),
        quotas=await _quotas(session, calls_per_hour, default_budget),
        outbox_unsent=unsent,
        outbox_oldest_unsent_seconds=oldest,
    )
