"""`sitegen integrations list|set|unset|test|rotate`: integration settings kept in Postgres.

The commands talk to the database directly (SITEGEN_DATABASE_URL, else the local stack's
embedded Postgres, which runs while `sitegen dev` does). Values are validated by the same
Settings model the worker uses; secrets are encrypted with a key derived from the payload
key and are never printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from sitegen import config_catalogue as catalogue
from sitegen.config_secrets import ConfigCipher, ConfigSecretError
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.integration_config import IntegrationConfigStore, StoredSetting
from sitegen.integrations.probes import run_probe
from sitegen.payload_codec import PayloadKeyError
from sitegen.settings import Settings
from sitegen.stack.postgres import DATABASE

T = TypeVar("T")

app = typer.Typer(
    name="integrations",
    no_args_is_help=True,
    help=(
        "Integration settings kept in the database (secrets encrypted at rest). "
        "Precedence: a setting in the environment (SITEGEN_*, or .env) wins over the "
        "database, which wins over the default. The worker reads the database at start: "
        "restart it after a change."
    ),
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(highlight=False, soft_wrap=True, stderr=True)

TypeArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(catalogue.CATALOGUE)}.")]
KeyArg = Annotated[str, typer.Argument(help="A setting's name, e.g. ai_provider.")]


def database_target(settings: Settings) -> tuple[str, str, str]:
    """The URL; how to name it in an error (never the URL: it may hold a password); and
    what to do when it does not answer."""
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        return url, "the database at SITEGEN_DATABASE_URL", "is it running and reachable?"
    port = settings.postgres_port
    return (
        f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}",
        f"the local stack's Postgres at 127.0.0.1:{port}",
        "is `sitegen dev` running? (or set SITEGEN_DATABASE_URL)",
    )


def run_with_store(settings: Settings, work: Callable[[IntegrationConfigStore], Awaitable[T]]) -> T:
    """`work` against the store, with every known failure as one line and exit code 1."""
    url, named, hint = database_target(settings)

    async def go() -> T:
        engine = make_engine(url, pool_size=1)
        try:
            async with engine.connect():
                pass  # it answers before anything is done (or made: a laptop's key file)
            cipher = ConfigCipher.from_settings(settings)
            return await work(IntegrationConfigStore(make_sessionmaker(engine), cipher))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except (OSError, OperationalError, InterfaceError) as exc:
        problem = f"{named} does not answer ({type(exc).__name__}); {hint}"
    except DBAPIError as exc:
        problem = f"{named} refused the query ({type(exc.orig).__name__})"
        if "integration_config" in str(exc.orig):
            problem = f"{named} has no integration_config table: run `sitegen migrate`"
    except (
        catalogue.UnknownSetting,
        catalogue.ConfigValueError,
        ConfigSecretError,
        PayloadKeyError,
    ) as exc:
        problem = str(exc)
    raise fail(problem)


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code=1)


@app.command("list")
def list_settings(
    integration_type: Annotated[
        str | None, typer.Argument(metavar="[TYPE]", help="Only this integration.")
    ] = None,
) -> None:
    """Every integration setting: its value (secrets as ••••), where it comes from
    (env, database, default) and the last test."""
    try:
        types = [catalogue.integration(integration_type)] if integration_type else None
    except catalogue.UnknownSetting as exc:
        raise fail(str(exc)) from None
    base = Settings()
    rows = run_with_store(base, lambda store: store.rows(integration_type))
    stored = {r.config_key: r for r in rows if r.is_active}
    table = Table("type", "key", "value", "source", "last test")
    for kind in types or catalogue.CATALOGUE.values():
        for key in kind.fields:
            row = stored.get(key)
            where = catalogue.source(key, base, stored)
            if where == "database" and row is not None:
                value = "••••" if row.is_secret else (row.value or "")
            else:
                value = catalogue.display(key, getattr(base, key))
            shown = "env (over database)" if where == "env" and row is not None else where
            table.add_row(kind.name, key, value, shown, _last_test(row))
    console.print(table)


def _last_test(row: StoredSetting | None) -> str:
    if row is None or row.last_tested_at is None:
        return ""
    when = row.last_tested_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{when} {'ok' if row.last_test_success else 'failed'}"


def _read_value(key: str) -> str:
    """The value from the terminal without echo (or from a pipe), so a secret never lands
    in the shell's history."""
    if sys.stdin.isatty():
        value: str = typer.prompt(key, hide_input=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@app.command("set")
def set_setting(
    integration_type: TypeArg,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help='The value; "-" reads it without echo.')],
) -> None:
    """Store one setting (a secret encrypted). Checked against the catalogue and the
    Settings model first; an env variable of the same name still wins."""
    try:
        catalogue.check_key(integration_type, key)
    except catalogue.UnknownSetting as exc:
        raise fail(str(exc)) from None
    if value == "-":
        value = _read_value(key)
    if value == "":
        raise fail(f"no value given for {key}; `unset` removes a setting")
    base = Settings()
    try:
        catalogue.with_values(base, {key: value})
    except catalogue.ConfigValueError as exc:
        raise fail(str(exc)) from None
    run_with_store(base, lambda store: store.set(integration_type, key, value))
    secret = " (encrypted)" if catalogue.is_secret(key) else ""
    console.print(f"{integration_type}.{key} stored{secret}; restart the worker to use it")
    if key in base.model_fields_set:
        console.print(
            f"[yellow]note:[/] SITEGEN_{key.upper()} is set in this environment; a process "
            "started with it uses that value, not the database's"
        )


@app.command("unset")
def unset_setting(integration_type: TypeArg, key: KeyArg) -> None:
    """Remove one stored setting: the environment or the default applies again."""
    try:
        catalogue.check_key(integration_type, key)
    except catalogue.UnknownSetting as exc:
        raise fail(str(exc)) from None
    removed = run_with_store(Settings(), lambda store: store.unset(integration_type, key))
    if removed:
        console.print(f"{integration_type}.{key} removed; restart the worker to use the default")
    else:
        console.print(f"{integration_type}.{key} was not stored")


@app.command("test")
def test_settings(
    integration_type: Annotated[
        str | None, typer.Argument(metavar="[TYPE]", help="Only this integration.")
    ] = None,
) -> None:
    """Make one harmless call per integration with the settings the worker would use
    (env > database > default), and record the result. Exit 1 if any failed."""
    try:
        kinds = [catalogue.integration(integration_type).name] if integration_type else None
    except catalogue.UnknownSetting as exc:
        raise fail(str(exc)) from None
    base = Settings()

    async def probe_all(store: IntegrationConfigStore) -> bool:
        effective = catalogue.overlay(base, await store.stored_values())
        ok = True
        for kind in kinds or list(catalogue.CATALOGUE):
            result = await run_probe(kind, effective)
            # The outcome lives on the type's rows: with none stored, there is nowhere to keep it.
            kept = "" if await store.record_test(kind, result.ok) else " [dim](not recorded)[/]"
            mark = "[green]ok[/]    " if result.ok else "[red]failed[/]"
            console.print(f"{mark} {kind:<8} {escape(result.detail)}{kept}")
            ok = ok and result.ok
        return ok

    if not run_with_store(base, probe_all):
        raise typer.Exit(code=1)


@app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the current payload key (SITEGEN_PAYLOAD_KEY),
    in one transaction; afterwards the old key can leave SITEGEN_PAYLOAD_OLD_KEYS."""
    settings = Settings()
    count = run_with_store(settings, lambda store: store.rotate())
    console.print(
        f"re-encrypted {count} secret(s) with the current payload key ({settings.payload_key_id})"
    )
