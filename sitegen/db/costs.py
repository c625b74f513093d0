"""What a project's AI calls cost: the sums the budget check and the costs route share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import AICall

# An ai_call row's status: in flight; paid; not billed (the API answered an error); the
# answer was lost (a timeout, a dead worker), so it may have been billed.
RESERVED, PAID, FAILED, UNKNOWN = "reserved", "paid", "failed", "unknown"


def committed_usd() -> Any:
    """SUM over ai_call rows of what counts against a budget: paid calls at their cost,
    calls in flight and lost answers at their reservation, failed calls not at all."""
    counted = case(
        (col(AICall.status) == PAID, col(AICall.cost_usd)),
        (col(AICall.status).in_([RESERVED, UNKNOWN]), col(AICall.reserved_usd)),
        else_=Decimal(0),
    )
    return func.coalesce(func.sum(counted), Decimal(0))


@dataclass(frozen=True)
class CostGroup:
    key: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    latency_ms: int
    cost_usd: Decimal


@dataclass(frozen=True)
class CostTotals:
    spent_usd: Decimal
    committed_usd: Decimal
    calls: int
    failed_calls: int
    by_step: list[CostGroup]
    by_revision: list[CostGroup]


def _sums(group: Any) -> Any:
    paid = col(AICall.status) == PAID
    return select(
        group,
        func.count().filter(paid),
        func.coalesce(func.sum(col(AICall.input_tokens)), 0),
        func.coalesce(func.sum(col(AICall.output_tokens)), 0),
        func.coalesce(func.sum(col(AICall.cache_read_tokens)), 0),
        func.coalesce(func.sum(col(AICall.cache_write_tokens)), 0),
        func.coalesce(func.sum(col(AICall.latency_ms)), 0),
        func.coalesce(func.sum(col(AICall.cost_usd)).filter(paid), Decimal(0)),
    )


async def project_costs(session: AsyncSession, project_id: uuid.UUID) -> CostTotals:
    mine = col(AICall.project_id) == project_id

    async def grouped(column: Any) -> list[CostGroup]:
        rows = await session.execute(
            _sums(column).where(mine).group_by(column).order_by(func.min(col(AICall.created_at)))
        )
        return [
            CostGroup(None if r[0] is None else str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            for r in rows.all()
        ]

    status = col(AICall.status)
    totals = (
        await session.execute(
            select(
                committed_usd(),
                func.count().filter(status == PAID),
                func.count().filter(status.in_([FAILED, UNKNOWN])),
            ).where(mine)
        )
    ).one()
    by_step = await grouped(col(AICall.pipeline_step))
    return CostTotals(
        spent_usd=sum((g.cost_usd for g in by_step), Decimal(0)),
        committed_usd=Decimal(totals[0]),
        calls=totals[1],
        failed_calls=totals[2],
        by_step=by_step,
        by_revision=await grouped(col(AICall.revision_id)),
    )
