"""The `sitegen` command."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sitegen.cli import project as project_commands
from sitegen.cli import retention as retention_commands
from sitegen.cli.chat_script import ChatLocale
from sitegen.cli.integrations import app as integrations_app
from sitegen.cli.templates import app as templates_app
from sitegen.cli.users import app as users_app
from sitegen.settings import Settings
from sitegen.stack.local_console_login import console_login_path
from sitegen.stack.process import StackError
from sitegen.stack.supervisor import Stack, StackUrls, wait_for_shutdown_signal

app = typer.Typer(
    help="sitegen: a paid order in, a live client-approved website out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# soft_wrap: an error stays on one line even when piped (rich would wrap at 80 columns).
console = Console(highlight=False, soft_wrap=True)
errors = Console(highlight=False, soft_wrap=True, stderr=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def print_urls(urls: StackUrls) -> None:
    console.print(f"[bold green]sitegen is up[/]  (data in {urls.data_dir})")
    console.print(f"  Portal       {urls.api}/portal/  (clients: from their onboarding link)")
    login = console_login_path(urls.data_dir)
    console.print(f"  Console      {urls.api}/console/  (operator login in {login})")
    console.print(f"  API docs     {urls.docs}")
    if urls.temporal_ui:
        console.print(f"  Temporal UI  {urls.temporal_ui}")
    console.print(f"  Temporal     {urls.temporal_address}")
    console.print(f"  Previews     {urls.preview_host}")


# Set by the first Ctrl-C or SIGTERM. The KeyboardInterrupt raised with it can be swallowed
# when it lands in an interpreter hook (logging's at-fork handler while a child is spawned),
# so start-up checks the latch too and a stop request is never lost.
_stop_requested = threading.Event()


def _interrupt(_signum: int, _frame: object) -> None:
    _stop_requested.set()
    raise KeyboardInterrupt


def _quiet_swallowed_interrupt(unraisable: sys.UnraisableHookArgs) -> None:
    """A KeyboardInterrupt swallowed by an interpreter hook is already recorded by the latch;
    the interpreter would otherwise print it as an ignored exception with a traceback."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


@contextmanager
def running_stack(
    settings: Settings, interrupted_code: int = 0, quiet_stop: bool = False
) -> Iterator[Stack]:
    """The stack, started, then always stopped in order: Ctrl-C or SIGTERM at any moment,
    even halfway through start-up, is a clean stop. `quiet_stop` keeps the caller's last
    line last (the demo's preview URL)."""
    stack = Stack(settings)
    started = False
    _stop_requested.clear()
    original_unraisable = sys.unraisablehook
    sys.unraisablehook = _quiet_swallowed_interrupt
    original_term = signal.signal(signal.SIGTERM, _interrupt)
    original_int = signal.signal(signal.SIGINT, _interrupt)
    try:
        with console.status("starting Postgres, Temporal, the worker and the API..."):
            stack.start()
        if _stop_requested.is_set():
            raise KeyboardInterrupt
        started = True
        yield stack
    except StackError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=interrupted_code) from None
    finally:
        # A second Ctrl-C must not cut the orderly stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            with console.status("stopping..."):
                stack.stop()
        finally:
            signal.signal(signal.SIGINT, original_int)
            signal.signal(signal.SIGTERM, original_term)
            sys.unraisablehook = original_unraisable
        if started and not quiet_stop:
            console.print("stopped; data kept in", str(stack.data_dir))


def wait_until_stopped(stack: Stack) -> None:
    console.print("Press Ctrl-C to stop.")
    wait_for_shutdown_signal(
        stack,
        on_restart=lambda name: console.print(f"[yellow]{name} crashed; restarted[/]"),
        stop=_stop_requested,
    )


@app.command()
def dev() -> None:
    """Start the local stack (Postgres, Temporal + UI, worker, API, preview host) until Ctrl-C."""
    with running_stack(Settings()) as stack:
        print_urls(stack.urls())
        wait_until_stopped(stack)


@app.command()
def demo(
    onboarding: Annotated[
        Path | None, typer.Option(help="An onboarding JSON file (default: the examples).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Exit 0 once the preview answers; non-zero on failure.")
    ] = False,
    story: Annotated[
        bool,
        typer.Option(
            "--story",
            help="After the preview: three revisions, a rollback and approval until delivered; "
            "then exit (0 with the production URL last; non-zero naming what failed).",
        ),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            help="Template id (default: the example's folder, as in examples/onboarding/saas/, "
            "else landing)."
        ),
    ] = None,
    chat: Annotated[
        bool,
        typer.Option(
            "--chat",
            help="No form: a scripted client talks to the interviewer (printed as a dialogue), "
            "confirms the plan it makes, and the preview's URL comes last.",
        ),
    ] = False,
    chat_locale: Annotated[
        ChatLocale, typer.Option(help="The scripted client's language, with --chat.")
    ] = ChatLocale.EN,
) -> None:
    """Start the stack, push a sample order through the pipeline and show its progress."""
    from sitegen.cli.demo import run_demo

    run_demo(
        console,
        onboarding=onboarding,
        once=once,
        story=story,
        template=template,
        chat=chat_locale.value if chat else None,
    )


project_commands.register(app)
retention_commands.register(app)
app.add_typer(integrations_app)
app.add_typer(templates_app)
app.add_typer(users_app)


@app.command()
def migrate() -> None:
    """Run database migrations to head (SITEGEN_DATABASE_URL must be set); give the API's role
    the password SITEGEN_API_DATABASE_URL names, if it names one."""
    from sitegen.db.migrate import prepare_database

    settings = Settings()
    if settings.database_url is None:
        raise _fail("set SITEGEN_DATABASE_URL, or use `sitegen dev`, which migrates on start")
    api_url = settings.api_database_url
    templates = prepare_database(
        settings.database_url.get_secret_value(),
        settings.templates_dir,
        api_url.get_secret_value() if api_url else None,
    )
    console.print(f"database at head; templates: {', '.join(templates)}")
