"""The cost ledger in Postgres, against the promises it makes: calls reserved in parallel
never pass the budget together; a paid call is read back, never paid twice; an answer that
was lost still counts; a failed call does not; past the hourly allowance a new call waits
(retryable, for as long as the oldest counted call needs to leave the hour), a read-back
does not."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select, update
from temporalio.exceptions import ApplicationError

from sitegen.activities.ai_ledger import PostgresLedger
from sitegen.contracts.ai_roles import ModelPrice
from sitegen.db.tables import AICall
from sitegen.integrations.ai.claude import metered
from sitegen.integrations.ai.claude.roles import Role
from sitegen.integrations.ai.ledger import (
    AIRateLimited,
    BudgetExceeded,
    CallScope,
    LedgerCall,
    PaidCall,
    Reservation,
    call_scope,
)
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
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=1000)

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
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=1000)
    call = _call(project_id, "spec")
    first = await ledger.reserve(call, Decimal("0.90"))
    assert first.stored is None and first.row_id is not None
    await ledger.settle(first.row_id, _paid("0.05", "the spec"))
    # The step retried after its worker died: the same key finds the stored answer.
    again = _call(project_id, "spec", attempt=2)
    assert (await ledger.reserve(again, Decimal("0.90"))).stored == {"answer": "the spec"}
    # Headroom is the budget less the real cost (0.05), not less the reservation (0.90).
    assert (await ledger.reserve(_call(project_id, "brief"), Decimal("0.90"))).stored is None
    with pytest.raises(BudgetExceeded, match=r"budget of 1\.00 USD"):
        await ledger.reserve(_call(project_id, "sitemap"), Decimal("0.10"))
    rows = {r.idempotency_key: r for r in await _rows(sessions, project_id)}
    assert rows[call.key].status == "paid" and rows[call.key].cost_usd == Decimal("0.05")
    assert len(rows) == 2  # the refused call left nothing behind


async def test_a_refused_answer_counts_but_is_never_read_back(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=1000)
    call = _call(project_id, "patch")
    first = await ledger.reserve(call, Decimal("0.50"))
    assert first.row_id is not None
    await ledger.settle(first.row_id, _paid("0.30", "an invalid patch"))
    await ledger.reject(first.row_id)
    # An operator's retry asks the same question: a new answer, the refused one still paid.
    retry = await ledger.reserve(_call(project_id, "patch", attempt=2), Decimal("0.50"))
    assert retry.stored is None and retry.row_id != first.row_id
    with pytest.raises(BudgetExceeded):  # 0.30 paid + 0.50 held + 0.21 > 1.00
        await ledger.reserve(_call(project_id, "more"), Decimal("0.21"))
    refused = next(r for r in await _rows(sessions, project_id) if r.id == first.row_id)
    assert (refused.status, refused.response) == ("rejected", None)


async def test_a_late_answer_of_a_superseded_attempt_changes_nothing(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=1000)
    # Attempt 1 is still waiting on the API when attempt 2 takes over the same question.
    one = await ledger.reserve(_call(project_id, "spec"), Decimal("0.40"))
    two = await ledger.reserve(_call(project_id, "spec", attempt=2), Decimal("0.40"))
    assert one.row_id and two.row_id
    await ledger.settle(two.row_id, _paid("0.05", "attempt two"))
    # Attempt 1's request then fails (or answers): attempt 2's paid row stays as it was.
    await ledger.release(one.row_id, "InternalServerError", maybe_billed=False)
    await ledger.settle(one.row_id, _paid("0.07", "attempt one"))
    rows = {r.id: r for r in await _rows(sessions, project_id)}
    assert rows[two.row_id].status == "paid" and rows[two.row_id].cost_usd == Decimal("0.05")
    assert rows[one.row_id].status == "unknown"  # lost when attempt 2 took over; counted
    again = await ledger.reserve(_call(project_id, "spec", attempt=3), Decimal("0.40"))
    assert again.stored == {"answer": "attempt two"}


async def test_a_lost_answer_still_counts_and_a_failed_call_does_not(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api, budget="1.00")
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=1000)
    # Attempt 1 reserved, then its worker died before the answer was recorded.
    await ledger.reserve(_call(project_id, "patch"), Decimal("0.40"))
    # Attempt 2 of the same step: sends again (nothing stored), under the same key.
    retry = await ledger.reserve(_call(project_id, "patch", attempt=2), Decimal("0.40"))
    assert retry.stored is None and retry.row_id is not None
    await ledger.release(retry.row_id, "RateLimitError", maybe_billed=False)
    timed_out = await ledger.reserve(_call(project_id, "fix"), Decimal("0.40"))
    assert timed_out.row_id is not None
    await ledger.release(timed_out.row_id, "APITimeoutError", maybe_billed=True)
    # Counted: the lost answer (0.40) and the timeout (0.40); the 429 not: 0.80 of 1.00.
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(_call(project_id, "more"), Decimal("0.21"))
    assert (await ledger.reserve(_call(project_id, "less"), Decimal("0.20"))).row_id
    statuses = sorted(r.status for r in await _rows(sessions, project_id))
    assert statuses == ["failed", "reserved", "unknown", "unknown"]


async def test_the_default_budget_applies_and_keys_are_per_project(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    ledger = PostgresLedger(sessions, default_budget=Decimal("0.50"), calls_per_hour=1000)
    other = await _project(api, budget="5.00")
    paid = await ledger.reserve(_call(other, "spec"), Decimal("0.10"))
    assert paid.row_id is not None
    await ledger.settle(paid.row_id, _paid("0.02", "the other project's spec"))
    project_id = await _project(api)
    with pytest.raises(BudgetExceeded, match=r"budget of 0\.50 USD"):
        await ledger.reserve(_call(project_id, "spec"), Decimal("0.51"))
    # The same key the other project paid for: nothing of theirs is read back here.
    mine = await ledger.reserve(_call(project_id, "spec"), Decimal("0.10"))
    assert mine.stored is None and mine.row_id is not None


async def _age(sessions: Any, row_id: uuid.UUID | None, age: timedelta) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(AICall).where(col(AICall.id) == row_id).values(created_at=func.now() - age)
        )


async def test_past_the_hourly_allowance_a_new_call_waits_and_a_read_back_does_not(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    project_id = await _project(api)
    ledger = PostgresLedger(sessions, default_budget=Decimal("100"), calls_per_hour=3)
    # A call from two hours ago is out of the window: it does not count.
    old = await ledger.reserve(_call(project_id, "old"), Decimal("0.01"))
    await _age(sessions, old.row_id, timedelta(hours=2))
    spec = await ledger.reserve(_call(project_id, "spec"), Decimal("0.01"))
    assert spec.row_id is not None
    await ledger.settle(spec.row_id, _paid("0.01", "the spec"))
    await ledger.reserve(_call(project_id, "brief"), Decimal("0.01"))
    await ledger.reserve(_call(project_id, "sitemap"), Decimal("0.01"))
    # The oldest counted call was made 50 minutes ago: room again in 10 minutes.
    await _age(sessions, spec.row_id, timedelta(minutes=50))
    with pytest.raises(AIRateLimited) as refused:
        await ledger.reserve(_call(project_id, "content"), Decimal("0.01"))
    assert 595 <= refused.value.retry_after_seconds <= 601
    assert "at most 3 AI calls an hour" in str(refused.value)
    # The step retried: the answer it paid for is read back, nothing is sent.
    again = await ledger.reserve(_call(project_id, "spec", attempt=2), Decimal("0.01"))
    assert again.stored == {"answer": "the spec"}
    assert len(await _rows(sessions, project_id)) == 4  # the refused call left nothing
    # An hour on from the spec, one slot is free again (and only one).
    await _age(sessions, spec.row_id, timedelta(minutes=61))
    assert (await ledger.reserve(_call(project_id, "content"), Decimal("0.01"))).row_id
    with pytest.raises(AIRateLimited):
        await ledger.reserve(_call(project_id, "layout"), Decimal("0.01"))


class _FullLedger:
    """Refuses every call as the Postgres ledger does past the allowance."""

    async def reserve(self, call: LedgerCall, max_cost: Decimal) -> Reservation:
        raise AIRateLimited(3, 600)

    async def settle(self, row_id: uuid.UUID, paid: PaidCall) -> None: ...

    async def release(self, row_id: uuid.UUID, error: str, *, maybe_billed: bool) -> None: ...

    async def reject(self, row_id: uuid.UUID) -> None: ...


async def test_a_rate_limited_call_is_a_retryable_error_that_waits_for_the_window() -> None:
    client = anthropic.AsyncAnthropic(api_key="unused", base_url="http://127.0.0.1:9")
    price = ModelPrice(
        input=Decimal(3), output=Decimal(15), cache_read=Decimal(0), cache_write=Decimal(4)
    )
    role = Role(step="brief", model="claude-sonnet-5-5", max_tokens=1000)
    scope = CallScope(uuid.uuid4(), "generate_brief", 1, "wf/run")
    with call_scope(scope), pytest.raises(ApplicationError) as raised:
        await metered.send(client, _FullLedger(), role, price, {"model": role.model})
    error = raised.value
    assert error.type == metered.AI_RATE_LIMITED and not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=600)
