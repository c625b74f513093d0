"""`sitegen users create|api-key`: the first admin, and keys for the agency's backend.

Like `sitegen integrations`, these talk to the database directly (as its owner), so they
work before anyone can sign in to the API."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from email_validator import EmailNotValidError, validate_email
from rich.console import Console
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.auth.credentials import new_api_key, secret_hash
from sitegen.auth.passwords import hash_password, password_problem
from sitegen.cli.integrations import database_target, fail
from sitegen.db import accounts
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.tables import UserRole
from sitegen.settings import Settings

app = typer.Typer(name="users", no_args_is_help=True, help="Users and API keys.")
console = Console(highlight=False, soft_wrap=True)

RoleOption = Annotated[
    UserRole, typer.Option("--role", help="client, operator or admin.", case_sensitive=False)
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    url, named, hint = database_target(settings)

    async def go() -> None:
        engine = make_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                await work(session)
        finally:
            await engine.dispose()

    try:
        asyncio.run(go())
    except (OSError, OperationalError, InterfaceError) as exc:
        raise fail(f"{named} does not answer ({type(exc).__name__}); {hint}") from None
    except DBAPIError as exc:
        raise fail(f"{named} refused the query ({type(exc.orig).__name__})") from None


@app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="The user's e-mail (their login).")],
    role: RoleOption = UserRole.ADMIN,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="A client's customer, by its e-mail.", show_default=False),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Make a user (by default an admin: the first one starts here)."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise fail(f"--email: {exc}") from None
    if (role == UserRole.CLIENT) != (customer is not None):
        raise fail("--customer: a client belongs to a customer, and only a client does")
    password = _password(password_stdin)
    if problem := password_problem(password):
        raise fail(f"password: {problem}")

    async def work(session: AsyncSession) -> None:
        customer_id = None
        if customer is not None:
            customer_id = await accounts.customer_id_by_email(session, customer)
            if customer_id is None:
                raise fail(f"--customer: no customer with the e-mail {customer}")
        try:
            await accounts.create_user(session, email, hash_password(password), role, customer_id)
        except accounts.EmailTaken:
            raise fail(f"--email: a user with the e-mail {email} exists") from None

    _run(Settings(), work)
    console.print(f"made {role.value} [bold]{email}[/]")


@app.command("api-key")
def api_key(
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    role: Annotated[
        UserRole, typer.Option("--role", help="operator or admin.", case_sensitive=False)
    ] = UserRole.OPERATOR,
) -> None:
    """Make an API key for the agency's backend; it is printed once, and only here."""
    if role == UserRole.CLIENT:
        raise fail("--role: API keys are the agency's (operator or admin)")
    parts = new_api_key()

    async def work(session: AsyncSession) -> None:
        await accounts.create_api_key(
            session, parts.prefix, secret_hash(parts.secret), name[:100], role, None
        )

    _run(Settings(), work)
    console.print(parts.full)
