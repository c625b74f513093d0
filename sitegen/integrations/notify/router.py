"""Which channel takes a notification, chosen by settings and built once by the worker."""

from __future__ import annotations

import httpx

from sitegen.integrations.notify.base import Channel
from sitegen.integrations.notify.mail import LocalMail, SmtpMail
from sitegen.integrations.notify.webhook import Webhook
from sitegen.settings import Settings


class Outbound:
    """E-mail for everyone; the agency's own notifications go to its webhook instead when
    one is configured (its systems read events, people read e-mail)."""

    def __init__(
        self, mail: Channel, workspace_recipient: str, webhook: Channel | None = None
    ) -> None:
        self.mail = mail
        self.webhook = webhook
        self.workspace_recipient = workspace_recipient

    def channel_for(self, recipient: str) -> Channel:
        if self.webhook is not None and recipient == self.workspace_recipient:
            return self.webhook
        return self.mail


def make_mail(settings: Settings) -> Channel:
    if settings.notify_channel == "smtp":
        password = settings.smtp_password
        return SmtpMail(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout_seconds,
        )
    return LocalMail(settings.outbox_root, settings.mail_from)


def make_outbound(settings: Settings, http: httpx.AsyncClient | None = None) -> Outbound:
    webhook: Channel | None = None
    if settings.webhook_url:
        if settings.webhook_secret is None:
            # Unsigned events would be forgeable: refuse at start, not halfway through.
            raise SystemExit("SITEGEN_WEBHOOK_URL is set without SITEGEN_WEBHOOK_SECRET")
        webhook = Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value().encode(),
            http or httpx.AsyncClient(),
            settings.webhook_timeout_seconds,
        )
    return Outbound(make_mail(settings), settings.workspace_notify_recipient, webhook)
