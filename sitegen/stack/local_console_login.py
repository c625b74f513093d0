"""The local stack's operator for the console, `{data_dir}/secrets/console_login` (mode
0600: the e-mail on the first line, the password on the second), made at start-up so the
console of `sitegen dev` and `make demo` can be signed in to with no account set up.

Its password is set again whenever the file is missing or no longer matches, so the file
always names a login that works. Elsewhere, make operators with `sitegen users create`."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from sitegen.auth.passwords import hash_password, verify_password
from sitegen.db import accounts
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.tables import UserRole
from sitegen.stack.local_api_key import write_private

LOGIN_PATH = Path("secrets") / "console_login"
OPERATOR_EMAIL = "operator@example.com"


def console_login_path(data_dir: Path) -> Path:
    return data_dir / LOGIN_PATH


def _read(path: Path) -> tuple[str, str] | None:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    return (lines[0], lines[1]) if len(lines) >= 2 and lines[0] and lines[1] else None


async def _ensure(database_url: str, email: str, password: str) -> bool:
    """Whether the login now works; False when the file names someone who is not this
    stack's operator (an admin or a client of that address): theirs is left alone."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            user = await accounts.user_by_email(session, email)
            if user is not None and user.role != UserRole.OPERATOR:
                return False
            if user is None:
                hashed = await asyncio.to_thread(hash_password, password)
                await accounts.create_user(session, email, hashed, UserRole.OPERATOR)
            elif not await asyncio.to_thread(verify_password, user.password_hash, password):
                hashed = await asyncio.to_thread(hash_password, password)
                await accounts.set_password(session, user, hashed)
    finally:
        await engine.dispose()
    return True


def ensure_console_login(database_url: str, data_dir: Path) -> None:
    """Runs as the database's owner, once migrations are done, before the API starts."""
    path = console_login_path(data_dir)
    found = _read(path)
    email, password = found or (OPERATOR_EMAIL, secrets.token_urlsafe(18))
    if not asyncio.run(_ensure(database_url, email, password)):
        found, email, password = None, OPERATOR_EMAIL, secrets.token_urlsafe(18)
        if not asyncio.run(_ensure(database_url, email, password)):
            return  # even the default address is someone else's: no console login is made
    if found is None:
        write_private(path, f"{email}\n{password}\n")
