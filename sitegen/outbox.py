"""The deployment's one outbox sender, started idempotently by every worker.

Every worker of a deployment calls `ensure_outbox_sender` at start. The workflow id is fixed
per task queue and a running sender is reused (USE_EXISTING), so however many workers start,
exactly one sender runs; one that ended (stopped, or terminated by an operator) is started
again by the next worker.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from sitegen.contracts.outbox import (
    OutboxSenderInput,
    OutboxTotals,
    outbox_workflow_id,
)
from sitegen.settings import Settings
from sitegen.workflows.outbox import OutboxSenderWorkflow


def sender_input(settings: Settings, key_prefix: str = "") -> OutboxSenderInput:
    return OutboxSenderInput(
        poll_seconds=settings.notify_poll_seconds,
        batch_size=settings.notify_batch_size,
        key_prefix=key_prefix,
    )


async def ensure_outbox_sender(
    client: Client,
    settings: Settings,
    *,
    workflow_id: str | None = None,
    config: OutboxSenderInput | None = None,
) -> WorkflowHandle[OutboxSenderWorkflow, OutboxTotals]:
    return await client.start_workflow(
        OutboxSenderWorkflow.run,
        config or sender_input(settings),
        id=workflow_id or outbox_workflow_id(settings.task_queue),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        # A stuck workflow task (a bug) is retried quickly rather than after 10 s.
        task_timeout=timedelta(seconds=10),
        static_summary="Delivers the notification outbox (e-mail, agency webhook)",
    )
