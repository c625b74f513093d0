"""The cost ledger's port: what a paid AI adapter asks before and tells after each call.

Before a request: `reserve` the most it can cost, against the project's budget, under a key
made of the run and the request's digest. The same question asked again in the same run (a
step retried by Temporal after its worker died, or by an operator after a sibling failed)
finds the answer already paid for and reads it back instead of paying again. After: `settle`
with what it really cost and the answer, or `release` when nothing was billed. Which project
and step a call belongs to comes from the scope the activity opens (`call_scope`), so the
`SiteAI` port keeps its shape and the offline AI knows nothing of money.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class CallScope:
    """The step a call is made for. `key_prefix` names the workflow run: stable across the
    step's attempts, so keys made from it are idempotency keys."""

    project_id: uuid.UUID
    pipeline_step: str
    attempt: int
    key_prefix: str
    revision_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LedgerCall:
    scope: CallScope
    ai_step: str
    model: str
    # scope.key_prefix (+ the revision) + the step's role + the digest of the whole request.
    key: str


@dataclass(frozen=True)
class PaidCall:
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: Decimal
    latency_ms: int
    request_id: str | None
    # The provider's answer as JSON, read back instead of calling again on a retry.
    response: dict[str, Any]


class BudgetExceeded(Exception):
    """The call's reservation would take the project over its budget; it was not made."""

    def __init__(self, budget: Decimal, committed: Decimal, needed: Decimal) -> None:
        self.budget, self.committed, self.needed = budget, committed, needed
        super().__init__(
            f"AI budget of {budget} USD reached: {committed} USD spent or reserved, the next "
            f"call may cost up to {needed} USD; raise the project's budget and retry the step"
        )


class AIRateLimited(Exception):
    """The project already made its allowance of calls in the last hour; none was made now.
    Not final: one slot frees when the oldest counted call leaves the window."""

    def __init__(self, limit: int, retry_after_seconds: int) -> None:
        self.limit, self.retry_after_seconds = limit, retry_after_seconds
        super().__init__(
            f"at most {limit} AI calls an hour for one project; the next may be made in "
            f"{retry_after_seconds} s"
        )


@dataclass(frozen=True)
class Reservation:
    """What `reserve` decided: go ahead under this ledger row, or the answer that row already
    holds (`stored`)."""

    row_id: uuid.UUID | None = None
    stored: dict[str, Any] | None = None


class AILedger(Protocol):
    async def reserve(self, call: LedgerCall, max_cost: Decimal) -> Reservation:
        """A row with the call's maximum reserved, or the answer already paid for under this
        key. Raises BudgetExceeded or AIRateLimited, reserving nothing; a read-back is not a
        new call and never refused."""
        ...

    async def settle(self, row_id: uuid.UUID, paid: PaidCall) -> None: ...

    async def release(self, row_id: uuid.UUID, error: str, *, maybe_billed: bool) -> None:
        """The call failed. `maybe_billed` (a timeout, a dropped connection: the provider
        may have answered and billed) keeps the reservation counted against the budget."""
        ...

    async def reject(self, row_id: uuid.UUID) -> None:
        """A paid answer that was refused (invalid, a refusal): still counted, never read
        back, so asking again gets a new answer."""
        ...


_scope: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "sitegen_ai_call_scope", default=None
)


@contextlib.contextmanager
def call_scope(scope: CallScope) -> Iterator[None]:
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> CallScope | None:
    return _scope.get()
