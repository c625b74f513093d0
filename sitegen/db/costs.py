"""What a project's AI calls cost: the sums the budget check and the costs route share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db.tables import AICall


class AICallStatus(StrEnum):
    RESERVED = "reserved"  # in flight
    PAID = "paid"  # answered; its answer is read back for the same question
    REJECTED = "rejected"  # answered and paid, but refused (invalid, a refusal): not read back
    FAILED = "failed"  # the API answered an error: not billed
    UNKNOWN = "unknown"  # the answer was lost (a timeout, a dead worker): maybe billed


BILLED = (AICallStatus.PAID, AICallStatus.REJECTED)
HELD = (AICallStatus.RESERVED, AICallStatus.UNKNOWN)


def committed_usd() -> Any:
    """SUM over ai_call rows of what counts against a budget: answered calls at their cost,
    calls in flight and lost answers at their reservation, failed calls not at all."""
    counted = case(
        (col(AICall.status).in_(BILLED), col(AICall.cost_usd)),
        (col(AICall.status).in_(HELD), col(AICall.reserved_usd)),
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
    billed = col(AICall.status).in_(BILLED)
    return select(
        group,
        func.count().filter(billed),
        func.coalesce(func.sum(col(AICall.input_tokens)), 0),
        func.coalesce(func.sum(col(AICall.output_tokens)), 0),
        func.coalesce(func.sum(col(AICall.cache_read_tokens)), 0),
        func.coalesce(func.sum(col(AICall.cache_write_tokens)), 0),
        func.coalesce(func.sum(col(AICall.latency_ms)), 0),
        func.coalesce(func.sum(col(AICall.cost_usd)).filter(billed), Decimal(0)),
        committed_usd(),
        func.count().filter(col(AICall.status).in_([AICallStatus.FAILED, AICallStatus.UNKNOWN])),
    )


async def project_costs(session: AsyncSession, project_id: uuid.UUID) -> CostTotals:
    mine = col(AICall.project_id) == project_id

    async def grouped(column: Any) -> list[tuple[CostGroup, Decimal, int]]:
        rows = await session.execute(
            _sums(column).where(mine).group_by(column).order_by(func.min(col(AICall.created_at)))
        )
        return [
            (
                CostGroup(
                    None if r[0] is None else str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]
                ),
                Decimal(r[8]),
                r[9],
            )
            for r in rows.all()
        ]

    # The headline comes from the per-step rows of one statement, so spent, committed and
    # the lines always agree, however many calls settle meanwhile.
    by_step = await grouped(col(AICall.pipeline_step))
    return CostTotals(
        spent_usd=sum((g.cost_usd for g, _, _ in by_step), Decimal(0)),
        committed_usd=sum((c for _, c, _ in by_step), Decimal(0)),
        calls=sum(g.calls for g, _, _ in by_step),
        failed_calls=sum(f for _, _, f in by_step),
        by_step=[g for g, _, _ in by_step],
        by_revision=[g for g, _, _ in await grouped(col(AICall.revision_id))],
    )
