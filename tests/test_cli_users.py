"""`sitegen users create|api-key`: the first admin made from a terminal signs in to the API;
a key made there opens it; bad input is one line naming the option."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from typer.testing import CliRunner, Result

from sitegen.stack.local_api_key import ensure_local_api_key, local_key_path

PASSWORD = "a long enough password"


async def invoke(database_url: str, *args: str, stdin: str | None = None) -> Result:
    from sitegen.cli.main import app

    env = {"SITEGEN_DATABASE_URL": database_url, "COLUMNS": "250"}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=stdin, env=env)


async def test_the_first_admin_signs_in(api: httpx.AsyncClient, database_url: str) -> None:
    email = f"owner-{uuid.uuid4().hex[:6]}@agency.example"
    made = await invoke(
        database_url, "users", "create", "--email", email, "--password-stdin", stdin=PASSWORD
    )
    assert made.exit_code == 0, made.output
    assert PASSWORD not in made.output
    signed_in = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"

    again = await invoke(
        database_url, "users", "create", "--email", email, "--password-stdin", stdin=PASSWORD
    )
    assert again.exit_code == 1 and "--email" in again.output


async def test_a_key_made_in_the_terminal_opens_the_api(
    api: httpx.AsyncClient, database_url: str
) -> None:
    made = await invoke(database_url, "users", "api-key", "--name", "crm")
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    assert key.startswith("sgk_")
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["role"] == "operator"


async def test_bad_input_is_one_line_naming_the_option(database_url: str) -> None:
    short = await invoke(
        database_url, "users", "create", "--email", "a@b.example", "--password-stdin", stdin="x"
    )
    assert short.exit_code == 1 and "password" in short.output
    client = await invoke(
        database_url,
        "users",
        "create",
        "--email",
        "c@b.example",
        "--role",
        "client",
        "--customer",
        "nobody@b.example",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert client.exit_code == 1 and "--customer" in client.output
    bad = await invoke(database_url, "users", "create", "--email", "not-an-email")
    assert bad.exit_code == 1 and "--email" in bad.output
    assert "Traceback" not in short.output + client.output + bad.output


async def test_the_local_stacks_key_is_kept_and_a_lost_one_revoked(
    api: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(ensure_local_api_key, database_url, tmp_path)
    path = local_key_path(tmp_path)
    first = path.read_text().strip()
    assert path.stat().st_mode & 0o777 == 0o600
    await asyncio.to_thread(ensure_local_api_key, database_url, tmp_path)
    assert path.read_text().strip() == first  # a restart keeps it
    path.unlink()
    await asyncio.to_thread(ensure_local_api_key, database_url, tmp_path)
    second = path.read_text().strip()
    assert second != first
    me = "/api/v1/auth/me"
    assert (await api.get(me, headers={"Authorization": f"Bearer {first}"})).status_code == 401
    assert (await api.get(me, headers={"Authorization": f"Bearer {second}"})).status_code == 200
