"""What Temporal should do with each way a call to Claude can fail.

The client never retries (max_retries=0), so every failure lands here once: 429, 529,
5xx, timeouts and dropped connections are retryable, and carry the server's `retry-after`
as `next_retry_delay` so Temporal waits as long as it was asked; 400, 401, 403, 404, 413
and 422 are final, typed by the SDK's class name. Messages hold the step, model, status,
request id and the API's short message: never the key, never the prompt.
"""

from __future__ import annotations

import email.utils
import time
from datetime import timedelta

import anthropic
from temporalio.exceptions import ApplicationError

# The step cannot produce a valid artifact: retrying the activity would ask again for
# what was already asked for (and paid) several times.
INVALID_OUTPUT = "AIInvalidOutput"
# The model declined (stop_reason "refusal"): the same input gets the same answer.
REFUSED = "AIRefused"
# A model with no price: no cost can be recorded nor budget checked, so no call is made.
UNPRICED = "AIModelUnpriced"

# Where an operator fixes each final error.
_HINTS: dict[int, str] = {
    401: "check SITEGEN_ANTHROPIC_API_KEY",
    403: "the key SITEGEN_ANTHROPIC_API_KEY is not allowed this model or workspace",
    404: "check the model name (SITEGEN_AI_MODELS, SITEGEN_AI_ROLES, the template's [ai])",
}
# Retried: the service is busy or broken for now. 408 and 409 are the API's own
# "try again" answers.
_RETRYABLE_STATUS = frozenset({408, 409, 429})
# Upper bound on an honoured retry-after: a wild header must not park a step for a day.
_MAX_DELAY = timedelta(minutes=10)


def retry_after(headers: object) -> timedelta | None:
    """The server's requested wait: `retry-after-ms`, else `retry-after` in seconds or as
    an HTTP date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    delay: float | None = None
    raw_ms = get("retry-after-ms")
    raw = get("retry-after")
    try:
        if raw_ms is not None:
            delay = float(raw_ms) / 1000
        elif raw is not None:
            delay = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw) if raw else None
        if parsed is not None:
            delay = email.utils.mktime_tz(parsed) - time.time()
    if delay is None or delay < 0:
        return None
    return min(timedelta(seconds=delay), _MAX_DELAY)


def api_error(error: anthropic.APIError, step: str, model: str) -> ApplicationError:
    """The ApplicationError for a failed call, final or retryable as above."""
    kind = type(error).__name__
    where = f"Claude {step} ({model})"
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        detail = (error.api_message or error.type or "")[:300]
        ref = f" [request {error.request_id}]" if error.request_id else ""
        message = f"{where}: HTTP {status} {kind}: {detail}{ref}"
        if status in _RETRYABLE_STATUS or status >= 500:
            return ApplicationError(
                message, type=kind, next_retry_delay=retry_after(error.response.headers)
            )
        hint = _HINTS.get(status)
        if hint:
            message += f" ({hint})"
        return ApplicationError(message, type=kind, non_retryable=True)
    if isinstance(error, anthropic.APIConnectionError):
        # Timeouts included: the service may be slow or unreachable for now.
        return ApplicationError(f"{where}: {kind}", type=kind)
    # The response did not match the SDK's schema: a protocol mismatch, not a blip.
    return ApplicationError(f"{where}: {kind}", type=kind, non_retryable=True)


def invalid_output(step: str, model: str, asked: int, problem: str) -> ApplicationError:
    return ApplicationError(
        f"Claude {step} ({model}): no valid answer in {asked} requests; last: {problem[:1500]}",
        type=INVALID_OUTPUT,
        non_retryable=True,
    )
