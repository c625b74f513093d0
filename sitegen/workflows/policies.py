"""Timeouts and retry policies, one per kind of step, so every activity's are explicit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy

# Error types our activities raise for bad input: retrying cannot help.
NON_RETRYABLE = [
    "InvalidInput",
    "ProjectNotFound",
    "PatchRejected",
    "ArtifactInvalid",
    "MergeConflict",
]


@dataclass(frozen=True)
class StepPolicy:
    start_to_close: timedelta
    # A dead worker is noticed after this long: every activity heartbeats while it works.
    heartbeat: timedelta
    retry: RetryPolicy


def _retry(attempts: int, max_interval: float = 30.0) -> RetryPolicy:
    """`attempts` 0 means no cap (Temporal's own convention)."""
    return RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=max_interval),
        maximum_attempts=attempts,
        non_retryable_error_types=NON_RETRYABLE,
    )


# Bookkeeping against our own database (and the outbox): it must outlast any outage, so it
# retries without an attempt cap, at most a minute apart; bad input still fails at once.
QUICK = StepPolicy(timedelta(seconds=30), timedelta(seconds=5), _retry(0, 60))
# Calls to the model: slow, rate-limited, worth a few patient retries.
AI = StepPolicy(timedelta(minutes=5), timedelta(seconds=10), _retry(5, 60))
# Git, storage, hosting and DNS: external side effects, each idempotent by key.
EXTERNAL = StepPolicy(timedelta(minutes=2), timedelta(seconds=10), _retry(6, 30))
# The sandboxed build reports failure as a result (for the fix loop); an exception here
# means the machinery broke, so retry it only a little.
BUILD = StepPolicy(timedelta(minutes=10), timedelta(seconds=10), _retry(3, 10))
# Local activities for status bookkeeping (no history round trip to the server); like QUICK,
# no attempt cap: a project never fails because the database was down for a while.
LOCAL = StepPolicy(timedelta(seconds=10), timedelta(seconds=10), _retry(0, 60))
