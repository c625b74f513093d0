"""The agency's notifications as signed webhooks to a real local receiver: the receiver's own
HMAC check passes with the shared secret and fails with any other; 2xx is sent, 408/429/5xx
and no answer are retried later, any other 4xx fails for good."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from sitegen.contracts.outbox import SendInput, SendStatus
from sitegen.integrations.notify.base import delivery_id
from sitegen.integrations.notify.webhook import sign, verify
from sitegen.settings import Settings
from tests.fakes.smtp import SmtpServer
from tests.fakes.webhook import WebhookReceiver, signature_valid
from tests.notify.support import activities, prefix, queue, row

ALERT = {
    "project": "Casa Azul",
    "slug": "casa-azul",
    "step": "build_and_test",
    "error": "the build failed 4 times",
    "workflow_id": "site-casa-azul",
}


def hooked(settings: Settings, receiver: WebhookReceiver, secret: bytes) -> Settings:
    return settings.model_copy(
        update={
            "webhook_url": receiver.url,
            "webhook_secret": SecretStr(secret.decode()),
            "webhook_timeout_seconds": 2,
        }
    )


async def send(sessions: Any, settings: Settings, notification_id: uuid.UUID) -> Any:
    return await ActivityEnvironment().run(
        activities(sessions, settings).send_notification,
        SendInput(notification_id=notification_id),
    )


async def test_agency_notification_is_a_signed_webhook(
    settings: Settings, sessions: Any, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    hooked_settings = hooked(settings, webhook_receiver, webhook_receiver.secret)
    key = f"{prefix()}attention"
    notification_id = await queue(
        sessions, key, settings.workspace_notify_recipient, "needs_attention", ALERT
    )
    outcome = await send(sessions, hooked_settings, notification_id)

    assert outcome.status == SendStatus.SENT and outcome.channel == "webhook"
    # The receipt names the host only: the URL's query carries a token.
    assert outcome.receipt == webhook_receiver.url.split("/hooks")[0]
    [delivery] = webhook_receiver.deliveries
    assert delivery.signature_ok
    assert delivery.headers["X-Sitegen-Delivery"] == delivery_id(key)
    assert delivery.headers["X-Sitegen-Event"] == "needs_attention"
    event = delivery.event
    assert (event["id"], event["kind"], event["payload"]) == (
        delivery_id(key),
        "needs_attention",
        ALERT,
    )
    assert event["subject"] == "Needs attention: Casa Azul (casa-azul), step build_and_test failed"
    # sitegen's own verify (for agencies in Python) agrees; a wrong secret fails both.
    header = delivery.headers["X-Sitegen-Signature"]
    assert verify(webhook_receiver.secret, header, delivery.body)
    assert not verify(b"wrong", header, delivery.body)
    assert not signature_valid(b"wrong", header, delivery.body)
    assert not verify(webhook_receiver.secret, header, delivery.body + b" ")
    stored = await row(sessions, notification_id)
    assert stored.sent_at is not None and stored.channel == "webhook"
    # The client's own e-mail is not rerouted: only the agency's notifications are events.
    client_id = await queue(sessions, f"{prefix()}client", "ana@example.com")
    assert (await send(sessions, hooked_settings, client_id)).channel == "smtp"
    assert len(webhook_receiver.deliveries) == 1 and len(smtp_server.received) == 1


async def test_wrong_secret_is_refused_and_fails_for_good(
    settings: Settings, sessions: Any, webhook_receiver: WebhookReceiver
) -> None:
    wrong = hooked(settings, webhook_receiver, b"not-the-agency-secret")
    notification_id = await queue(
        sessions, f"{prefix()}attention", settings.workspace_notify_recipient, "delivered", {}
    )
    outcome = await send(sessions, wrong, notification_id)
    [delivery] = webhook_receiver.deliveries
    assert not delivery.signature_ok
    assert outcome.status == SendStatus.FAILED
    stored = await row(sessions, notification_id)
    assert stored.failed_at is not None and stored.last_error == "the webhook answered 401"


@pytest.mark.parametrize("status", [408, 429, 500, 503])
async def test_retryable_answers_are_tried_again(
    settings: Settings, sessions: Any, webhook_receiver: WebhookReceiver, status: int
) -> None:
    webhook_receiver.answer(status)
    hooked_settings = hooked(settings, webhook_receiver, webhook_receiver.secret)
    notification_id = await queue(
        sessions, f"{prefix()}stalled", settings.workspace_notify_recipient, "review_stalled", {}
    )
    first = await send(sessions, hooked_settings, notification_id)
    assert first.status == SendStatus.RETRY and first.error == f"the webhook answered {status}"
    second = await send(sessions, hooked_settings, notification_id)
    assert second.status == SendStatus.SENT and second.attempts == 2
    ids = {d.headers["X-Sitegen-Delivery"] for d in webhook_receiver.deliveries}
    assert len(ids) == 1  # the same delivery id both times: the receiver can dedupe


async def test_unreachable_webhook_is_retried(settings: Settings, sessions: Any) -> None:
    gone = settings.model_copy(
        update={
            "webhook_url": "http://127.0.0.1:9/hook",  # discard port: nothing listens
            "webhook_secret": SecretStr("s"),
        }
    )
    notification_id = await queue(
        sessions, f"{prefix()}x", settings.workspace_notify_recipient, "delivered", {}
    )
    outcome = await send(sessions, gone, notification_id)
    assert outcome.status == SendStatus.RETRY
    assert "did not answer" in (outcome.error or "")


def test_signature_format() -> None:
    body = b'{"id":"x"}'
    now = int(time.time())
    header = sign(b"k", now, body)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(b"k", header, body)
    assert not verify(b"k", sign(b"k", now - 3600, body), body)  # too old: a replay
    assert not verify(b"k", "garbage", body)
