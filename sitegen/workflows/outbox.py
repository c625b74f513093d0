"""OutboxSenderWorkflow: one per deployment, delivering the notification outbox forever.

Each loop claims the due rows (a local activity: bookkeeping against our own database),
sends each through its channel (a regular activity: an external side effect, retried by
Temporal only when the worker or the database failed; a channel's own failures are recorded
on the row and retried later with backoff), then sleeps on a durable timer, cut short by a
`wake` signal. Every `loops_per_run` loops it continues as new, so its history stays small.

Being the deployment's one loop that always runs, it also sweeps expired AI answers (the
retention of ai_call.response, a local activity) at most once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.ai_retention import RetentionActivities
    from sitegen.activities.outbox import OutboxActivities
    from sitegen.contracts.outbox import (
        OUTBOX_WORKFLOW_NAME,
        ClaimedNotifications,
        ClaimInput,
        OutboxSenderInput,
        OutboxTotals,
        SendInput,
        SendOutcome,
        SendStatus,
        StopSender,
        WakeUp,
    )
    from sitegen.contracts.retention import SweepInput
    from sitegen.workflows import policies

# Sends at once: each holds a database connection while its channel answers.
SEND_CONCURRENCY = 4
# The channel's own timeouts (SMTP 30 s, webhook 10 s by default) fit well inside this;
# a dead worker is noticed by the heartbeat. No attempt cap: a send that could not even
# run (the database down) waits it out, as every bookkeeping step here does.
SEND_TIMEOUT = timedelta(minutes=2)
SEND_HEARTBEAT = timedelta(seconds=10)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    non_retryable_error_types=policies.NON_RETRYABLE,
)
# Runs that sweep AI answers past their retention; older runs (and their histories) do not.
AI_RETENTION_PATCH = "ai-response-retention"
SWEEP_EVERY = timedelta(hours=1)


@workflow.defn(name=OUTBOX_WORKFLOW_NAME)
class OutboxSenderWorkflow:
    @workflow.init
    def __init__(self, config: OutboxSenderInput) -> None:
        self.config = config
        self.totals = config.totals.model_copy()
        self.swept_at = config.retention_swept_at
        self._wake = False
        self._stop = False

    @workflow.signal
    def wake(self, _request: WakeUp) -> None:
        self._wake = True

    @workflow.signal
    def stop(self, _request: StopSender) -> None:
        self._stop = True

    @workflow.query
    def status(self) -> OutboxTotals:
        return self.totals

    @workflow.run
    async def run(self, config: OutboxSenderInput) -> OutboxTotals:
        for _ in range(config.loops_per_run):
            # Cleared before looking, so a wake that arrives while sending is not lost.
            self._wake = False
            claimed = await workflow.execute_local_activity_method(
                OutboxActivities.claim_due_notifications,
                ClaimInput(
                    limit=config.batch_size,
                    lease_seconds=config.lease_seconds,
                    key_prefix=config.key_prefix,
                ),
                start_to_close_timeout=policies.LOCAL.start_to_close,
                retry_policy=policies.LOCAL.retry,
            )
            await self._send_all(claimed)
            await self._sweep_if_due()
            self._show()
            if self._stop:
                break
            # A full batch means more may be due: go round again without sleeping.
            if len(claimed.notification_ids) < config.batch_size:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self._wake or self._stop,
                        timeout=timedelta(seconds=config.poll_seconds),
                    )
            if self._stop:
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._stop:
            return self.totals
        carried = {"totals": self.totals, "retention_swept_at": self.swept_at}
        workflow.continue_as_new(config.model_copy(update=carried))

    async def _sweep_if_due(self) -> None:
        now = workflow.now()
        if self.swept_at is not None and now - self.swept_at < SWEEP_EVERY:
            return
        if not workflow.patched(AI_RETENTION_PATCH):
            return
        swept = await workflow.execute_local_activity_method(
            RetentionActivities.sweep_ai_responses,
            SweepInput(),
            start_to_close_timeout=policies.LOCAL.start_to_close,
            retry_policy=policies.LOCAL.retry,
        )
        # Rows still due (time ran out): the next loop sweeps again.
        if swept.done:
            self.swept_at = now

    async def _send_all(self, claimed: ClaimedNotifications) -> None:
        ids = claimed.notification_ids
        for start in range(0, len(ids), SEND_CONCURRENCY):
            outcomes = await asyncio.gather(
                *(self._send(i) for i in ids[start : start + SEND_CONCURRENCY])
            )
            for outcome in outcomes:
                if outcome.status == SendStatus.SENT:
                    self.totals.sent += 1
                elif outcome.status == SendStatus.RETRY:
                    self.totals.retried += 1
                elif outcome.status == SendStatus.FAILED:
                    self.totals.failed += 1

    async def _send(self, notification_id: uuid.UUID) -> SendOutcome:
        return await workflow.execute_activity_method(
            OutboxActivities.send_notification,
            SendInput(notification_id=notification_id),
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            retry_policy=SEND_RETRY,
            summary="send notification",
        )

    def _show(self) -> None:
        t = self.totals
        workflow.set_current_details(
            f"Delivering notifications: {t.sent} sent, {t.retried} failed attempts to retry, "
            f"{t.failed} given up (see notification.last_error)"
        )
