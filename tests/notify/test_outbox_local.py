"""The local channel (the default): one RFC 5322 .eml file per notification under
{data_dir}/outbox, plain text with an HTML alternative, overwritten (not duplicated) when a
notification is sent again; and what each kind of message says."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlmodel import col, update
from temporalio.testing import ActivityEnvironment

from sitegen.contracts.outbox import SendInput, SendStatus
from sitegen.db.tables import Notification
from sitegen.integrations.notify.base import delivery_id
from sitegen.integrations.notify.messages import CLIENT, WORKSPACE, compose
from sitegen.settings import Settings
from tests.notify.support import activities, prefix, queue

PAYLOAD = {
    "project": "Casa <Azul>",
    "customer_name": "Ana",
    "preview_url": "http://casa-azul.localhost:8080/",
    "missing_assets": ["Team photo"],
}


def read(path: Any) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_one_eml_per_notification(settings: Settings, sessions: Any) -> None:
    local = settings.model_copy(update={"notify_channel": "local"})
    keys = prefix()
    ids = [
        await queue(sessions, f"{keys}{n}", f"client{n}@example.com", kind, PAYLOAD)
        for n, kind in enumerate(["preview_ready", "revision_applied", "delivered"])
    ]
    outbox = activities(sessions, local)
    env = ActivityEnvironment()
    outcomes = [await env.run(outbox.send_notification, SendInput(notification_id=i)) for i in ids]
    assert {o.status for o in outcomes} == {SendStatus.SENT}
    files = sorted(local.outbox_root.glob("*.eml"))
    assert len(files) == 3
    assert sorted(o.receipt or "" for o in outcomes) == [str(f) for f in files]

    first = read(local.outbox_root / f"preview_ready-{delivery_id(f'{keys}0')}.eml")
    assert first["To"] == "client0@example.com"
    assert first["Subject"] == "Your website preview is ready: Casa <Azul>"
    assert (
        first["Message-ID"] == f"<{delivery_id(f'{keys}0')}@studio.example>"
    )  # the mail_from domain
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert text is not None and html is not None
    assert "Team photo" in text.get_content()
    assert "Casa &lt;Azul&gt;" in html.get_content()  # escaped in the HTML part

    # Sent again (a crash before the commit): the same file, not a fourth.
    async with sessions() as session, session.begin():
        await session.execute(
            update(Notification).where(col(Notification.id) == ids[0]).values(sent_at=None)
        )
    again = await env.run(outbox.send_notification, SendInput(notification_id=ids[0]))
    assert again.status == SendStatus.SENT
    assert len(list(local.outbox_root.glob("*.eml"))) == 3
    # Already sent: nothing happens.
    skipped = await env.run(outbox.send_notification, SendInput(notification_id=ids[1]))
    assert skipped.status == SendStatus.SKIPPED


# Every kind the notify activities and the workflow queue, by audience.
CLIENT_KINDS = [
    "onboarding_link",
    "preview_ready",
    "plan_ready",
    "revision_applied",
    "revision_rejected",
    "review_reminder",
    "delivered",
]
WORKSPACE_KINDS = [
    "preview_ready",
    "delivered",
    "needs_attention",
    "review_stalled",
    "rollback_failed",
]


@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_every_client_kind_has_its_own_words(locale: str) -> None:
    assert set(CLIENT[locale]) == set(CLIENT_KINDS)
    subjects = {compose(k, PAYLOAD, locale).subject for k in CLIENT_KINDS}
    assert len(subjects) == len(CLIENT_KINDS)


def test_agency_messages_and_unknown_kinds() -> None:
    assert set(WORKSPACE) == set(WORKSPACE_KINDS)
    ops = {"project": "Casa Azul", "slug": "casa-azul", "version": 2, "since": "2026-01-01"}
    # The agency's own read in English whatever the project's language.
    assert (
        compose("review_stalled", ops, "pt-BR").subject == "Review stalled: Casa Azul (casa-azul)"
    )
    generic = compose("something_new", {"project": "X", "customer_name": "A"}, "pt-BR")
    assert generic.subject == "Novidades sobre X: something new"
    # A placeholder with no value reads as nothing, never as "{name}" or "None".
    bare = compose("preview_ready", {"project": "X", "customer_name": "A"}, None)
    assert "{" not in bare.text and "None" not in bare.text
