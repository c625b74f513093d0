"""The cost ledger in Postgres: the `AILedger` port the Claude adapter reserves and settles
through (sitegen/integrations/ai/ledger.py).

Reservations of one project are serialised by a lock on its row, so calls fanned out in
parallel cannot each see the same headroom and overshoot together. What counts against the
budget: paid calls at their cost, calls in flight and calls whose answer was lost at their
reservation (they may have been billed), failed calls not at all. Under the same lock, the
project's calls of the last hour are counted: past the hourly allowance a new call is refused
(AIRateLimited, retried by Temporal once the window has room); a read-back is never refused,
since nothing is sent. Settling, releasing and rejecting address the row by id and change it
only from the state they expect, so a late answer of a superseded attempt can never
overwrite what a newer attempt recorded.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.activities.support import Sessions
from sitegen.db.costs import AICallStatus, committed_usd
from sitegen.db.tables import AICall, Project
from sitegen.failpoints import AFTER_AI_CALL, failpoint
from sitegen.integrations.ai.ledger import (
    AIRateLimited,
    BudgetExceeded,
    LedgerCall,
    PaidCall,
    Reservation,
)

RATE_WINDOW = timedelta(hours=1)


class PostgresLedger:
    def __init__(self, sessions: Sessions, default_budget: Decimal, *, calls_per_hour: int) -> None:
        self.sessions = sessions
        self.default_budget = default_budget
        self.calls_per_hour = calls_per_hour

    async def reserve(self, call: LedgerCall, max_cost: Decimal) -> Reservation:
        scope = call.scope
        async with self.sessions() as session, session.begin():
            # FOR NO KEY UPDATE: serialises this project's reservations without blocking the
            # inserts that only reference the row.
            budget_row = await session.execute(
                sa.select(col(Project.ai_budget_usd))
                .where(col(Project.id) == scope.project_id)
                .with_for_update(key_share=True)
            )
            budget = budget_row.scalar_one_or_none() or self.default_budget
            earlier = (
                await session.exec(
                    select(AICall)
                    .where(col(AICall.project_id) == scope.project_id)
                    .where(col(AICall.idempotency_key) == call.key)
                    .with_for_update()
                )
            ).one_or_none()
            if earlier is not None:
                if earlier.status == AICallStatus.PAID and earlier.response is not None:
                    return Reservation(row_id=earlier.id, stored=earlier.response)
                # An earlier attempt failed, was refused, or died before it recorded the
                # answer, or its answer outlived the retention (db/ai_retention.py): its row
                # stays (a lost answer still counts), under a key of its own.
                if earlier.status == AICallStatus.RESERVED:
                    earlier.status = AICallStatus.UNKNOWN
                    earlier.error = "the attempt ended before its answer was recorded"
                earlier.idempotency_key = f"{call.key}#{earlier.attempt}.{uuid.uuid4().hex[:8]}"
                await session.flush()
            committed = (
                await session.execute(
                    sa.select(committed_usd()).where(col(AICall.project_id) == scope.project_id)
                )
            ).scalar_one()
            if committed + max_cost > budget:
                raise BudgetExceeded(budget, Decimal(committed), max_cost)
            await self._check_rate(session, scope.project_id)
            row = AICall(
                project_id=scope.project_id,
                idempotency_key=call.key,
                pipeline_step=scope.pipeline_step,
                ai_step=call.ai_step,
                revision_id=scope.revision_id,
                attempt=scope.attempt,
                model=call.model,
                status=AICallStatus.RESERVED,
                reserved_usd=max_cost,
            )
            session.add(row)
        return Reservation(row_id=row.id)

    async def _check_rate(self, session: AsyncSession, project_id: uuid.UUID) -> None:
        """Every row is a request made (paid, failed, lost or in flight); the database's clock
        decides the window, so workers' clocks cannot disagree about it."""
        count, oldest, now = (
            await session.execute(
                sa.select(func.count(), func.min(col(AICall.created_at)), func.now())
                .where(col(AICall.project_id) == project_id)
                .where(col(AICall.created_at) > func.now() - RATE_WINDOW)
            )
        ).one()
        if count >= self.calls_per_hour:
            wait = (oldest + RATE_WINDOW - now).total_seconds()
            raise AIRateLimited(self.calls_per_hour, max(1, math.ceil(wait)))

    async def _finish(self, row_id: uuid.UUID, **values: Any) -> None:
        """Only a row still in flight changes: one another attempt already took over (its key
        renamed, counted as unknown) keeps what that attempt decided."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(AICall)
                .where(col(AICall.id) == row_id)
                .where(col(AICall.status) == AICallStatus.RESERVED)
                .values(**values, updated_at=func.now())
            )

    async def settle(self, row_id: uuid.UUID, paid: PaidCall) -> None:
        await self._finish(
            row_id,
            status=AICallStatus.PAID,
            cost_usd=paid.cost_usd,
            input_tokens=paid.input_tokens,
            output_tokens=paid.output_tokens,
            cache_read_tokens=paid.cache_read_tokens,
            cache_write_tokens=paid.cache_write_tokens,
            latency_ms=paid.latency_ms,
            request_id=paid.request_id,
            response=paid.response,
        )
        failpoint(AFTER_AI_CALL)

    async def release(self, row_id: uuid.UUID, error: str, *, maybe_billed: bool) -> None:
        status = AICallStatus.UNKNOWN if maybe_billed else AICallStatus.FAILED
        await self._finish(row_id, status=status, error=error[:200])

    async def reject(self, row_id: uuid.UUID) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(AICall)
                .where(col(AICall.id) == row_id)
                .where(col(AICall.status) == AICallStatus.PAID)
                .values(status=AICallStatus.REJECTED, response=sa.null(), updated_at=func.now())
            )
