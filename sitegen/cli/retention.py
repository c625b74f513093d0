"""`sitegen erase-old-ai-answers`: the retention sweep of AI answers, now.

The outbox sender already runs it at most hourly on a deployed system; this is for an
operator who lowered the retention, or a deployment that runs no sender.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import InterfaceError, OperationalError

from sitegen.cli.integrations import database_target, fail
from sitegen.db.ai_retention import erase_old_responses
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.settings import Settings

console = Console(highlight=False, soft_wrap=True)


async def _erase(url: str, older_than: timedelta) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        sessions = make_sessionmaker(engine)
        total = 0
        while True:  # each round hands back after a few seconds; go on until none is due
            erased = await erase_old_responses(sessions, older_than)
            total += erased.rows
            if erased.done:
                return total
    finally:
        await engine.dispose()


def erase_old_ai_answers(
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Answers older than this (default: the retention setting)."),
    ] = None,
) -> None:
    """Erase stored AI answers older than SITEGEN_AI_RESPONSE_RETENTION_DAYS (costs and
    tokens stay)."""
    settings = Settings()
    url, named, hint = database_target(settings)
    keep = days or settings.ai_response_retention_days
    try:
        erased = asyncio.run(_erase(url, timedelta(days=keep)))
    except (OSError, OperationalError, InterfaceError) as exc:
        raise fail(f"{named} does not answer ({type(exc).__name__}); {hint}") from None
    console.print(f"erased {erased} AI answer(s) older than {keep} days")


def register(app: typer.Typer) -> None:
    app.command(name="erase-old-ai-answers")(erase_old_ai_answers)
