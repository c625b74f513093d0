"""The local stack's console login: made once, kept, and made to work again when its file
is lost or edited, so what the file says always signs in."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from sitegen.settings import Settings
from sitegen.stack.local_console_login import console_login_path, ensure_console_login
from tests.conftest import app_client


async def _signs_in(settings: Settings, path: Path) -> int:
    email, password = path.read_text().splitlines()[:2]
    async with app_client(settings, headers={}) as api:
        answer = await api.post("/api/v1/auth/login", json={"email": email, "password": password})
        me = await api.get(
            "/api/v1/auth/me",
            headers={"Authorization": f"Bearer {answer.json().get('access_token', '')}"},
        )
    assert me.status_code == 200 and me.json()["role"] == "operator"
    return answer.status_code


async def test_the_console_login_in_the_file_always_works(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    path = console_login_path(tmp_path)
    await asyncio.to_thread(ensure_console_login, database_url, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    await asyncio.to_thread(ensure_console_login, database_url, tmp_path)
    assert path.read_text() == first  # kept from one start to the next
    assert await _signs_in(settings, path) == 200
    # Lost: a new password, and the old one no longer works.
    path.unlink()
    await asyncio.to_thread(ensure_console_login, database_url, tmp_path)
    assert path.read_text() != first
    assert await _signs_in(settings, path) == 200
