"""The local stack's own admin API key, `{data_dir}/secrets/api_key` (mode 0600), made at
start-up so the CLI and the demo of one data dir can call the API with no account set up.

Made again if its row is gone or revoked (a fresh database, an admin's revocation): the
file never names a key the API would refuse. Elsewhere, set SITEGEN_API_KEY to a key made
with `sitegen users api-key`."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from sitegen.auth.credentials import new_api_key, read_api_key, same_secret, secret_hash
from sitegen.db import accounts
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.tables import UserRole
from sitegen.settings import Settings

KEY_PATH = Path("secrets") / "api_key"
KEY_NAME = "local stack"


def local_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_PATH


def api_key_for(settings: Settings) -> str | None:
    """What a client of this machine's API sends: SITEGEN_API_KEY, else the stack's file."""
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    path = local_key_path(settings.data_path)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def auth_headers(settings: Settings) -> dict[str, str]:
    key = api_key_for(settings)
    return {"Authorization": f"Bearer {key}"} if key else {}


async def _still_valid(database_url: str, key: str) -> bool:
    parts = read_api_key(key)
    if parts is None:
        return False
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            row = await accounts.api_key_by_prefix(session, parts.prefix)
    finally:
        await engine.dispose()
    return row is not None and row.revoked_at is None and same_secret(row.secret_hash, parts.secret)


async def _register(database_url: str) -> str:
    parts = new_api_key()
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # The file held the only copy of the one before: nobody can use it, so it goes.
            await accounts.revoke_api_keys_named(session, KEY_NAME)
            await accounts.create_api_key(
                session, parts.prefix, secret_hash(parts.secret), KEY_NAME, UserRole.ADMIN, None
            )
    finally:
        await engine.dispose()
    return parts.full


def ensure_local_api_key(database_url: str, data_dir: Path) -> None:
    """Runs as the database's owner, once migrations are done, before the API starts."""
    path = local_key_path(data_dir)
    if path.exists() and asyncio.run(_still_valid(database_url, path.read_text().strip())):
        return
    write_private(path, asyncio.run(_register(database_url)) + "\n")


def write_private(path: Path, text: str) -> None:
    """A secret file only its owner reads (0600, in a 0700 folder), replaced whole."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
