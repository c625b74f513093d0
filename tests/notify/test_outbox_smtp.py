"""The outbox delivered over SMTP to a real server (aiosmtpd): the pipeline's notifications
arrive as e-mails; a server that is down is retried with backoff until it is back, and the
message then arrives exactly once; a refused address fails for good, visibly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.contracts.outbox import (
    ClaimInput,
    OutboxSenderInput,
    SendInput,
    SendStatus,
    StopSender,
    WakeUp,
)
from sitegen.integrations.notify.base import delivery_id
from sitegen.outbox import ensure_outbox_sender
from sitegen.settings import Settings
from sitegen.workflows.outbox import OutboxSenderWorkflow
from tests.conftest import unique_onboarding, wait_for
from tests.fakes.smtp import SmtpServer
from tests.notify.support import activities, prefix, queue, row, start_sender
from tests.pipeline.helpers import keep_history, notifications, order_site, wait_status


@pytest.mark.usefixtures("worker")
async def test_preview_ready_arrives_by_smtp(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    temporal: Client,
    smtp_server: SmtpServer,
) -> None:
    form = unique_onboarding("padaria-pao-e-afeto")
    created = await order_site(api, form)
    sender = await start_sender(temporal, settings, created["workflow_id"])
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    await wait_for(lambda: _count(smtp_server, 2), 20)

    rows = {r.recipient: r for r in await notifications(sessions, created["id"])}
    customer = next(r for r in rows.values() if r.recipient != settings.workspace_notify_recipient)
    client_mail = smtp_server.to(customer.recipient)
    agency_mail = smtp_server.to(settings.workspace_notify_recipient)
    assert len(client_mail) == 1 and len(agency_mail) == 1

    mail = client_mail[0].message
    # The client's e-mail speaks the project's language and says what happened.
    assert mail["Subject"] == f"A prévia do seu site está pronta: {project['name']}"
    assert mail["From"] == settings.mail_from
    assert mail["Message-ID"] == f"<{delivery_id(customer.idempotency_key)}@studio.example>"
    assert mail["X-Sitegen-Delivery"] == delivery_id(customer.idempotency_key)
    assert client_mail[0].mail_from == "hello@studio.example"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert project["preview_url"] in text.get_content()
    assert f'href="{project["preview_url"]}"' in html.get_content()
    assert agency_mail[0].message["Subject"].startswith("Preview ready: ")

    for r in (customer, rows[settings.workspace_notify_recipient]):
        done = await row(sessions, r.id)
        assert done.sent_at is not None and done.next_attempt_at is None
        assert (done.attempts, done.channel, done.last_error) == (1, "smtp", None)

    await sender.signal(OutboxSenderWorkflow.stop, StopSender(reason="test over"))
    totals = await sender.result()
    assert (totals.sent, totals.failed) == (2, 0)
    await keep_history(temporal, sender.id, "outbox/outbox_preview_ready_smtp")


async def _count(server: SmtpServer, n: int) -> bool:
    return len(server.received) >= n


@pytest.mark.usefixtures("worker")
async def test_smtp_down_backs_off_then_delivers_once(
    settings: Settings, sessions: Any, temporal: Client, smtp_server: SmtpServer
) -> None:
    keys = prefix()
    recipient = f"ana+{uuid.uuid4().hex[:8]}@example.com"
    notification_id = await queue(sessions, f"{keys}preview", recipient)
    outbox = activities(sessions, settings)
    env = ActivityEnvironment()
    smtp_server.down()

    # Three failed attempts, each pushing the next one further away.
    gaps = []
    for attempt in (1, 2, 3):
        claimed = await env.run(
            outbox.claim_due_notifications, ClaimInput(limit=5, lease_seconds=60, key_prefix=keys)
        )
        assert claimed.notification_ids == [notification_id]
        before = datetime.now(UTC)
        outcome = await env.run(
            outbox.send_notification, SendInput(notification_id=notification_id)
        )
        assert outcome.status == SendStatus.RETRY and outcome.attempts == attempt
        stored = await row(sessions, notification_id)
        assert stored.attempts == attempt and stored.sent_at is None
        assert stored.last_error and "cannot reach the SMTP server" in stored.last_error
        assert recipient not in stored.last_error
        assert stored.next_attempt_at is not None and stored.next_attempt_at > before
        gaps.append((stored.next_attempt_at - before).total_seconds())
        # Not due before its time: nothing to claim until then.
        early = await env.run(
            outbox.claim_due_notifications, ClaimInput(limit=5, lease_seconds=60, key_prefix=keys)
        )
        assert early.notification_ids == []
        await asyncio.sleep(max(0.0, (stored.next_attempt_at - datetime.now(UTC)).total_seconds()))
    assert gaps[0] < gaps[1] < gaps[2]  # 0.3 s, 0.6 s, 1.2 s (plus up to 10% jitter)

    # The server comes back; the sender delivers the row on its next attempt, once.
    smtp_server.up()
    sender = await start_sender(temporal, settings, keys)
    await wait_for(lambda: _count(smtp_server, 1), 20)
    await asyncio.sleep(1.0)  # a few more polls: nothing is sent twice
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].rcpt_tos == [recipient]
    stored = await row(sessions, notification_id)
    assert stored.sent_at is not None and stored.attempts == 4
    await sender.signal(OutboxSenderWorkflow.stop, StopSender())
    assert (await sender.result()).sent == 1


@pytest.mark.usefixtures("worker")
async def test_refused_address_fails_for_good(
    settings: Settings, sessions: Any, smtp_server: SmtpServer
) -> None:
    keys = prefix()
    recipient = f"nobody+{uuid.uuid4().hex[:8]}@example.com"
    smtp_server.mailbox.refused.add(recipient)
    notification_id = await queue(sessions, f"{keys}preview", recipient)
    outcome = await ActivityEnvironment().run(
        activities(sessions, settings).send_notification,
        SendInput(notification_id=notification_id),
    )
    assert outcome.status == SendStatus.FAILED
    stored = await row(sessions, notification_id)
    assert stored.failed_at is not None and stored.next_attempt_at is None
    assert stored.last_error == "recipient refused ([550])"
    assert smtp_server.received == []


@pytest.mark.usefixtures("worker")
async def test_one_sender_per_deployment_continuing_as_new(
    settings: Settings, sessions: Any, temporal: Client, smtp_server: SmtpServer
) -> None:
    keys = prefix()
    config = OutboxSenderInput(poll_seconds=0.1, loops_per_run=3, key_prefix=keys)
    first = await ensure_outbox_sender(temporal, settings, config=config)
    again = await ensure_outbox_sender(temporal, settings, config=config)
    assert again.result_run_id == first.result_run_id  # the running sender is reused

    async def continued() -> bool:
        described = await temporal.get_workflow_handle(first.id).describe()
        return described.run_id != first.result_run_id

    await wait_for(continued, 20)
    # The next run still delivers.
    await queue(sessions, f"{keys}later", "bo@example.com", "delivered")
    await wait_for(lambda: _count(smtp_server, 1), 20)
    assert smtp_server.received[0].message["Subject"] == "Casa Azul is live"
    handle = temporal.get_workflow_handle_for(OutboxSenderWorkflow.run, first.id)
    await handle.signal(OutboxSenderWorkflow.stop, StopSender())
    assert (await handle.result()).sent == 1


@pytest.mark.usefixtures("worker")
async def test_wake_signal_cuts_the_poll_short(
    settings: Settings, sessions: Any, temporal: Client, smtp_server: SmtpServer
) -> None:
    keys = prefix()
    sender = await start_sender(temporal, settings, keys, poll_seconds=600)
    await asyncio.sleep(0.5)  # the first look found nothing: asleep for ten minutes
    await queue(sessions, f"{keys}now", "cy@example.com")
    await sender.signal(OutboxSenderWorkflow.wake, WakeUp(reason="queued"))
    await wait_for(lambda: _count(smtp_server, 1), 10)
    await sender.signal(OutboxSenderWorkflow.stop, StopSender())
    assert (await sender.result()).sent == 1
