"""The cost ledger in Postgres, against the promises it makes: calls reserved in parallel
never pass the budget together; a paid call is read back, never paid twice; an answer that
was lost still counts; a failed call does not."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sitegen.activities.ai_ledger import PostgresLedger
from sitegen.db.tables import AICall
from sitegen.integrations.ai.ledger import BudgetExceeded, CallScope, LedgerCall, PaidCall
from tests.conftest import order_body


async def _project(api: httpx.AsyncClient, budget: str | None = None) -> uuid.UUID:
    body = order_body()
    if budget is not None:
        body["order"]["ai_budget_usd"] = budget
    created = await api.post("/api/v1/projects", json=body)
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


def _call(project_id: uuid.UUID, name: str, attempt: int = 1) -> LedgerCall:
    scope = CallScope(project_id, "generate_content", attempt, f"wf/run/{name}")
    return LedgerCall(scope, "page_content", "claude-sonnet-5-5", f"wf/run/{name}/0")


def _paid(cost: str, answer: str = "hello") -> PaidCall:
    return PaidCall(10, 20, 0, 0, Decimal(cost), 5, "req_1", {"answer": answer})


async def _rows(sessions: Any, project_id: uuid.UUID) -> list[AICall]:
    async with sessions() as session:
        result = await session.exec(select(AICall).where(AICall.project_id == project_id))
        return list(result.all())


async def test_parallel_reservations_never_pass_the_budget_together(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"))

    async def reserve(i: int) -> bool:
        try:
            await ledger.reserve(_call(project_id, f"page-{i}"), Decimal("0.30"))
        except BudgetExceeded:
            return False
        return True

    granted = await asyncio.gather(*(reserve(i) for i in range(10)))
    # 3 x 0.30 fits under 1.00, a fourth would not: whatever the interleaving.
    assert sum(granted) == 3
    rows = await _rows(sessions, project_id)
    assert len(rows) == 3 and all(r.status == "reserved" for r in rows)


async def test_a_paid_call_is_read_back_and_the_budget_counts_its_cost(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"))
    call = _call(project_id, "spec")
    assert await ledger.reserve(call, Decimal("0.90")) is None
    await ledger.settle(call, _paid("0.05", "the spec"))
    # The step retried after its worker died: the same key finds the stored answer.
    again = _call(project_id, "spec", attempt=2)
    assert await ledger.reserve(again, Decimal("0.90")) == {"answer": "the spec"}
    # Headroom is the budget less the real cost (0.05), not less the reservation (0.90).
    assert await ledger.reserve(_call(project_id, "brief"), Decimal("0.90")) is None
    with pytest.raises(BudgetExceeded, match=r"budget of 1\.00 USD"):
        await ledger.reserve(_call(project_id, "sitemap"), Decimal("0.10"))
    rows = {r.idempotency_key: r for r in await _rows(sessions, project_id)}
    assert rows[call.key].status == "paid" and rows[call.key].cost_usd == Decimal("0.05")
    assert len(rows) == 2  # the refused call left nothing behind


async def test_a_lost_answer_still_counts_and_a_failed_call_does_not(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"))
    # Attempt 1 reserved, then its worker died before the answer was recorded.
    lost = _call(project_id, "patch")
    await ledger.reserve(lost, Decimal("0.40"))
    # Attempt 2 of the same step: sends again (nothing stored), under the same key.
    retry = _call(project_id, "patch", attempt=2)
    assert await ledger.reserve(retry, Decimal("0.40")) is None
    await ledger.release(retry, "RateLimitError", maybe_billed=False)
    timed_out = _call(project_id, "fix")
    await ledger.reserve(timed_out, Decimal("0.40"))
    await ledger.release(timed_out, "APITimeoutError", maybe_billed=True)
    # Counted: the lost answer (0.40) and the timeout (0.40); the 429 not: 0.80 of 1.00.
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(_call(project_id, "more"), Decimal("0.21"))
    assert await ledger.reserve(_call(project_id, "less"), Decimal("0.20")) is None
    statuses = sorted(r.status for r in await _rows(sessions, project_id))
    assert statuses == ["failed", "reserved", "unknown", "unknown"]


async def test_the_default_budget_applies_when_the_order_set_none(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api)
    ledger = PostgresLedger(sessions, default_budget=Decimal("0.50"))
    with pytest.raises(BudgetExceeded, match=r"budget of 0\.50 USD"):
        await ledger.reserve(_call(project_id, "spec"), Decimal("0.51"))
    # The same key another project paid for (the tests above use these names): nothing of
    # theirs is read back here.
    assert await ledger.reserve(_call(project_id, "spec"), Decimal("0.10")) is None
