"""What `sitegen demo` prints once the preview is ready: where the project's e-mails went.

Read from the outbox table, so it shows what the sender really did: a .eml path for the
local channel, "sent via SMTP" or "sent to the agency's webhook" otherwise, or why a message
is still waiting. Addresses are shown redacted.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from rich.console import Console
from sqlmodel import col, select

from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.tables import Notification
from sitegen.integrations.notify.base import delivery_id
from sitegen.integrations.notify.mail import eml_path
from sitegen.settings import Settings


def redact_address(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


async def _rows(database_url: str, project_id: uuid.UUID) -> list[Notification]:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await session.exec(
                select(Notification)
                .where(Notification.project_id == project_id)
                .order_by(col(Notification.created_at))
            )
            return list(result.all())
    finally:
        await engine.dispose()


def _settled(rows: list[Notification]) -> bool:
    return all(r.sent_at is not None or r.failed_at is not None or r.attempts for r in rows)


def describe(row: Notification, settings: Settings) -> str:
    to = redact_address(row.recipient)
    if row.sent_at is not None:
        if row.channel == "local":
            path = eml_path(settings.outbox_root, row.kind, delivery_id(row.idempotency_key))
            return f"{row.kind} to {to}: {path}"
        if row.channel == "webhook":
            return f"{row.kind}: sent to the agency's webhook"
        return f"{row.kind}: sent via SMTP to {to} ({settings.smtp_host})"
    if row.failed_at is not None:
        return f"{row.kind} to {to}: [bold red]not delivered[/] ({row.last_error})"
    reason = f", last error: {row.last_error}" if row.last_error else ""
    return f"{row.kind} to {to}: [yellow]queued[/] (attempt {row.attempts}{reason})"


def show_mail(console: Console, settings: Settings, database_url: str, project_id: str) -> None:
    """Wait a little for the sender (it polls every few seconds), then say where each went."""
    deadline = time.monotonic() + settings.notify_poll_seconds + 15
    rows = asyncio.run(_rows(database_url, uuid.UUID(project_id)))
    while not (_settled(rows) and rows) and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = asyncio.run(_rows(database_url, uuid.UUID(project_id)))
    if not rows:
        console.print("no e-mails were queued for this project")
        return
    console.print("e-mails:")
    for row in rows:
        console.print(f"  {describe(row, settings)}", soft_wrap=True, highlight=False)
