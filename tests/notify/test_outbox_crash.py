"""A worker process killed (SIGKILL) after its channel sent a message and before `sent_at`
was committed: the next worker sends it again with the same Message-ID. At-least-once,
and the receiver can tell the two copies are one message."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from sitegen.contracts.outbox import StopSender
from sitegen.failpoints import AFTER_SEND
from sitegen.integrations.notify.base import delivery_id
from sitegen.settings import Settings
from sitegen.workflows.outbox import OutboxSenderWorkflow
from tests.conftest import wait_for
from tests.fakes.smtp import SmtpServer
from tests.notify.support import prefix, queue, row, start_sender
from tests.worker_process import WorkerProcess, worker_env


@pytest.mark.chaos  # workers killed and waited for: in `make chaos`
async def test_killed_between_send_and_commit_sends_again_same_message_id(
    settings: Settings, sessions: Any, temporal: Client, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    env = worker_env(
        settings,
        SITEGEN_NOTIFY_CHANNEL="smtp",
        SITEGEN_SMTP_HOST=smtp_server.host,
        SITEGEN_SMTP_PORT=str(smtp_server.port),
        SITEGEN_SMTP_STARTTLS="false",
        # This test runs its own sender, scoped to its rows (the database is shared).
        SITEGEN_NOTIFY_SENDER="false",
    )
    worker = WorkerProcess(env, tmp_path / "worker.log")
    key = f"{prefix()}preview"
    notification_id = await queue(sessions, key, "ana@example.com")
    worker.start(SITEGEN_FAILPOINT=AFTER_SEND)
    try:
        sender = await start_sender(temporal, settings, key)

        async def died() -> bool:
            return not worker.alive()

        await wait_for(died, 30)
        assert len(smtp_server.received) == 1  # sent, then killed before the commit
        assert (await row(sessions, notification_id)).sent_at is None

        worker.start()  # no failpoint: the activity is retried once its heartbeat lapses

        async def sent() -> bool:
            return (await row(sessions, notification_id)).sent_at is not None

        await wait_for(sent, 60)
        await asyncio.sleep(1.0)  # a few more polls: no third copy
        first, second = smtp_server.received
        assert first.message_id == second.message_id
        assert first.message_id.startswith(f"<{delivery_id(key)}@")
        stored = await row(sessions, notification_id)
        # The killed attempt's bookkeeping died with its transaction.
        assert (stored.attempts, stored.channel) == (1, "smtp")
        await sender.signal(OutboxSenderWorkflow.stop, StopSender())
        assert (await sender.result()).sent == 1
    finally:
        worker.stop()
