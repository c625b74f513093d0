"""The outbox tests: a real SMTP server (aiosmtpd) and a real webhook receiver; the worker
of each test sends its e-mail over SMTP to that server, with retries seconds apart."""

from __future__ import annotations

import pytest

from sitegen.settings import Settings
from tests.fakes.smtp import SmtpServer, smtp_server
from tests.fakes.webhook import webhook_receiver

__all__ = ["smtp_server", "webhook_receiver"]


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "notify_channel": "smtp",
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_starttls": False,
            "smtp_timeout_seconds": 5,
            "mail_from": "Studio <hello@studio.example>",
            "notify_retry_base_seconds": 0.3,
            "notify_retry_max_seconds": 5,
            "notify_max_attempts": 10,
            "notify_poll_seconds": 0.2,
        }
    )
