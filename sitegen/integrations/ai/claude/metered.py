"""One Messages API request under the cost ledger: reserved before, settled after.

The reservation is the most the request can cost (`max_cost_usd`): the prompt bounded by
its size in bytes (a token is at least one byte) plus the tools' own system prompt, all
priced as cache writes, and the whole output bound. So a project's spending can never pass
its budget, whatever the model answers. A request already paid for under the same key (the
step retried after a worker died between the answer and the workflow recording it) is not
sent again: its stored answer is read back (keys: sitegen/integrations/ai/ledger.py).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anthropic
from temporalio.exceptions import ApplicationError

from sitegen.contracts.ai_roles import ModelPrice
from sitegen.integrations.ai.claude.errors import api_error
from sitegen.integrations.ai.claude.roles import Role, cost_usd, max_cost_usd
from sitegen.integrations.ai.ledger import (
    AILedger,
    AIRateLimited,
    BudgetExceeded,
    LedgerCall,
    PaidCall,
    current_scope,
)

# The API's tool-use system prompt and message framing, beyond what we send (a few hundred
# tokens by Anthropic's documentation; bounded generously).
FRAMING_TOKENS = 2_000
BUDGET_EXCEEDED = "BudgetExceeded"
# Retryable: Temporal tries the step again once the project's hourly window has room.
AI_RATE_LIMITED = "AIRateLimited"


@dataclass(frozen=True)
class Answer:
    message: anthropic.types.Message
    latency_ms: int
    # Read back from the ledger: paid for on an earlier attempt, not sent now.
    replayed: bool = False
    # The ledger row charged for it (None without a ledger).
    row_id: uuid.UUID | None = None


def canonical_request(request: dict[str, Any]) -> bytes:
    """The whole request as bytes, once: its digest keys the ledger, its size bounds the
    prompt (everything sent counts; a token is at least one byte)."""
    return json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()


async def send(
    client: anthropic.AsyncAnthropic,
    ledger: AILedger | None,
    role: Role,
    price: ModelPrice,
    request: dict[str, Any],
) -> Answer:
    row_id: uuid.UUID | None = None
    if ledger is not None:
        sent = canonical_request(request)
        call = _ledger_call(role, sent)
        needed = max_cost_usd(price, len(sent) + FRAMING_TOKENS, role.max_tokens)
        try:
            reservation = await ledger.reserve(call, needed)
        except BudgetExceeded as exc:
            raise ApplicationError(str(exc), type=BUDGET_EXCEEDED, non_retryable=True) from None
        except AIRateLimited as exc:
            delay = timedelta(seconds=exc.retry_after_seconds)
            raise ApplicationError(str(exc), type=AI_RATE_LIMITED, next_retry_delay=delay) from None
        if reservation.stored is not None:
            message = anthropic.types.Message.model_validate(reservation.stored)
            return Answer(message, 0, replayed=True, row_id=reservation.row_id)
        row_id = reservation.row_id
    started = time.monotonic()
    try:
        message = await client.messages.create(**request)
    except anthropic.APIError as exc:
        if ledger is not None and row_id is not None:
            # Only an HTTP error answer is surely unbilled; with none (a timeout, a dropped
            # connection) or an answer we could not read, it may have been served and billed.
            billed = not isinstance(exc, anthropic.APIStatusError)
            await ledger.release(row_id, type(exc).__name__, maybe_billed=billed)
        raise api_error(exc, role.step, role.model) from None
    latency = int((time.monotonic() - started) * 1000)
    if ledger is not None and row_id is not None:
        await ledger.settle(row_id, _paid(message, price, latency))
    return Answer(message, latency, row_id=row_id)


def _ledger_call(role: Role, sent: bytes) -> LedgerCall:
    scope = current_scope()
    if scope is None:
        # Every activity that calls the AI opens a scope; a call without one could not be
        # charged to a project, so it is not made.
        raise RuntimeError(f"AI call for {role.step} outside a step's call scope")
    # The whole request (model, bounds, prompt, the errors fed back in a later round): the
    # same question gets the same key, a different one never does.
    digest = hashlib.sha256(sent).hexdigest()
    # A revision's own id too: the same words asked again later are a new question.
    revision = f"/{scope.revision_id.hex}" if scope.revision_id else ""
    key = f"{scope.key_prefix[:300]}{revision}/{role.step}/{digest}"
    return LedgerCall(scope=scope, ai_step=role.step, model=role.model, key=key)


def _paid(message: anthropic.types.Message, price: ModelPrice, latency_ms: int) -> PaidCall:
    u = message.usage
    cache_read = u.cache_read_input_tokens or 0
    cache_write = u.cache_creation_input_tokens or 0
    request_id = getattr(message, "_request_id", None)
    return PaidCall(
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cost_usd=cost_usd(price, u.input_tokens, u.output_tokens, cache_read, cache_write),
        latency_ms=latency_ms,
        request_id=str(request_id)[:80] if request_id else None,
        response=message.model_dump(mode="json"),
    )
