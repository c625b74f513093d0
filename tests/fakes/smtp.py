"""A real SMTP server for tests: aiosmtpd's Controller on 127.0.0.1 and a free port, in its
own thread, keeping every message it accepts. It can be taken down (connections refused, as
from a stopped server) and brought back on the same port, told to refuse an address, and
made to require a login."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class Mailbox:
    """The server's handler: what it accepted, and the addresses it refuses (550)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: learn the real port before aiosmtpd connects to itself.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.mailbox = Mailbox()
        self.host = "127.0.0.1"
        self.port = 0
        # Set: AUTH PLAIN/LOGIN is offered (without TLS, on loopback) and only these pass.
        self.credentials = credentials
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        # handled=False: the server answers (535 on a failure); the default leaves it silent.
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        return AuthResult(success=given == self.credentials, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def up(self) -> None:
        if self._controller is None:
            auth: dict[str, Any] = {}
            if self.credentials is not None:
                auth = {"authenticator": self._authenticate, "auth_require_tls": False}
            self._controller = _Controller(self.mailbox, hostname=self.host, port=self.port, **auth)
            self._controller.start()
            self.port = self._controller.port

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.up()
    try:
        yield server
    finally:
        server.down()
