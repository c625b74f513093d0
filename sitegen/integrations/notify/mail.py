"""E-mail channels: the same RFC 5322 message either written to a file (`local`) or handed
to an SMTP server (`smtp`). The delivery id is the Message-ID and `X-Sitegen-Delivery`, so
a message sent again after a crash is recognisable as the same one."""

from __future__ import annotations

import asyncio
import os
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

import aiosmtplib

from sitegen.integrations.notify.base import DeliveryFailed, Envelope


def build_email(envelope: Envelope, mail_from: str) -> EmailMessage:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "sitegen.invalid"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = envelope.recipient
    message["Subject"] = envelope.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{envelope.delivery_id}@{domain}>"
    message["X-Sitegen-Delivery"] = envelope.delivery_id
    message["X-Sitegen-Kind"] = envelope.kind
    message.set_content(envelope.text)
    message.add_alternative(envelope.html, subtype="html")
    return message


def eml_path(root: Path, kind: str, delivery: str) -> Path:
    return root / f"{kind}-{delivery}.eml"


class LocalMail:
    """`.eml` files under {data_dir}/outbox: one per notification (a resend overwrites its
    own file), readable by any mail client. Nothing leaves the machine."""

    name = "local"

    def __init__(self, root: Path, mail_from: str) -> None:
        self.root = root
        self.mail_from = mail_from

    def path_for(self, envelope: Envelope) -> Path:
        return eml_path(self.root, envelope.kind, envelope.delivery_id)

    def _write(self, envelope: Envelope) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path_for(envelope)
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(build_email(envelope, self.mail_from).as_bytes())
        # Atomic: a reader (or a crash) never sees half a message.
        os.replace(partial, target)
        return target

    async def send(self, envelope: Envelope) -> str:
        try:
            return str(await asyncio.to_thread(self._write, envelope))
        except OSError as exc:
            raise DeliveryFailed(f"cannot write the .eml file: {exc.strerror}") from exc


class SmtpMail:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        mail_from: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        tls: bool = False,
        timeout: float = 30,
    ) -> None:
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self.username = username
        self.password = password
        self.starttls = starttls
        self.tls = tls
        self.timeout = timeout

    async def send(self, envelope: Envelope) -> str:
        message = build_email(envelope, self.mail_from)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.tls,
                start_tls=False if self.tls else self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            # 5xx: the address itself is refused; 4xx (mailbox busy, greylisting): later.
            permanent = bool(codes) and all(500 <= c < 600 for c in codes)
            raise DeliveryFailed(f"recipient refused ({codes})", permanent=permanent) from exc
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as exc:
            # Our own configuration, not this message: fixable, so retried (and visible).
            raise DeliveryFailed(f"{type(exc).__name__} {exc.code}") from exc
        except aiosmtplib.SMTPDataError as exc:
            permanent = 500 <= exc.code < 600
            raise DeliveryFailed(f"message refused ({exc.code})", permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: cannot reach the SMTP server") from exc
        return f"smtp://{self.host}:{self.port}"
