"""Integration settings in Postgres (`integration_config`): secrets encrypted at rest under a
key derived from the payload key, rotated with it; stored values overlaid on the settings
(env > database > default) and validated by the Settings model; the worker's start-up
helper switching an adapter; `sitegen integrations` from the terminal."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from structlog.testing import capture_logs
from typer.testing import CliRunner, Result

from sitegen import config_catalogue as catalogue
from sitegen.cli.main import app
from sitegen.config_secrets import ConfigCipher, ConfigSecretError
from sitegen.db.engine import transaction
from sitegen.db.integration_config import (
    IntegrationConfigStore,
    Sessions,
    StoredConfigInvalid,
    settings_with_stored_config,
)
from sitegen.db.tables_config import IntegrationConfig
from sitegen.integrations.ai.claude import AnthropicAI
from sitegen.integrations.ai.offline import OfflineAI
from sitegen.integrations.probes import run_probe
from sitegen.integrations.providers import make_ai
from sitegen.settings import Settings
from tests.fakes.anthropic import KEY, FakeAnthropic
from tests.fakes.webhook import WebhookReceiver, webhook_receiver

__all__ = ["webhook_receiver"]

SECRET = "sk-live-do-not-leak-8d41c2"
KEY_A = base64.urlsafe_b64encode(b"a" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"b" * 32).decode()
KEY_C = base64.urlsafe_b64encode(b"c" * 32).decode()


def keyed(current: str, key_id: str, **old: str) -> ConfigCipher:
    settings = Settings(
        payload_key=SecretStr(current),
        payload_key_id=key_id,
        payload_old_keys={k: SecretStr(v) for k, v in old.items()},
    )
    return ConfigCipher.from_settings(settings)


async def clear(sessions: Sessions) -> None:
    async with transaction(sessions) as session:
        await session.execute(delete(IntegrationConfig))


@pytest.fixture
async def sessions(sessions: Sessions) -> AsyncIterator[Sessions]:
    """The shared test database with no integration rows before or after: a row left
    behind would reconfigure every worker process a later test starts."""
    await clear(sessions)
    yield sessions
    await clear(sessions)


def store_with(sessions: Sessions, cipher: ConfigCipher) -> IntegrationConfigStore:
    return IntegrationConfigStore(sessions, cipher)


@pytest.fixture
def store(sessions: Sessions) -> IntegrationConfigStore:
    return store_with(sessions, ConfigCipher.from_settings(Settings()))


async def raw(sessions: Sessions, key: str) -> IntegrationConfig:
    async with sessions() as session:
        query = select(IntegrationConfig).where(col(IntegrationConfig.config_key) == key)
        return (await session.exec(query)).one()


async def test_a_secret_is_encrypted_at_rest_and_never_listed_or_logged(
    store: IntegrationConfigStore, sessions: Sessions, engine: AsyncEngine, tmp_path: Path
) -> None:
    with capture_logs() as logs:
        await store.set("ai", "anthropic_api_key", SECRET)
        await store.set("ai", "ai_provider", "anthropic")
        values = await store.stored_values()
        await settings_with_stored_config(Settings(data_dir=tmp_path), engine)
    row = await raw(sessions, "anthropic_api_key")
    assert row.is_secret and SECRET not in row.config_value
    assert (await raw(sessions, "ai_provider")).config_value == "anthropic"  # not secret
    assert values == {"anthropic_api_key": SECRET, "ai_provider": "anthropic"}
    listed = {r.config_key: r for r in await store.rows("ai")}
    assert listed["anthropic_api_key"].value is None
    assert listed["ai_provider"].value == "anthropic"
    assert SECRET not in repr(await store.rows())
    assert logs and SECRET not in repr(logs)
    assert any(e["event"] == "integration_config.applied" for e in logs)


async def test_rotation_moves_secrets_to_the_current_key(sessions: Sessions) -> None:
    await store_with(sessions, keyed(KEY_A, "a")).set("git", "github_token", SECRET)
    sealed_under_a = (await raw(sessions, "github_token")).config_value
    # The format, pinned: Fernet under HKDF-SHA256 of the payload key with this info. A change
    # here would leave every stored secret unreadable.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sitegen integration_config")
    fernet_a = Fernet(base64.urlsafe_b64encode(hkdf.derive(b"a" * 32)))
    assert fernet_a.decrypt(sealed_under_a.encode()).decode() == SECRET
    # The key moved on; the old one is kept for reading.
    moved = store_with(sessions, keyed(KEY_B, "b", a=KEY_A))
    assert await moved.stored_values() == {"github_token": SECRET}
    assert await moved.rotate() == 1
    assert (await raw(sessions, "github_token")).config_value != sealed_under_a
    # Now the new key alone opens it, and the old key alone no longer does.
    assert await store_with(sessions, keyed(KEY_B, "b")).stored_values() == {"github_token": SECRET}
    with pytest.raises(ConfigSecretError):
        await store_with(sessions, keyed(KEY_A, "a")).stored_values()


async def test_a_row_no_key_opens_is_named_and_rotation_is_all_or_none(
    sessions: Sessions, engine: AsyncEngine, tmp_path: Path
) -> None:
    await store_with(sessions, keyed(KEY_A, "a")).set("git", "github_token", SECRET)
    await store_with(sessions, keyed(KEY_C, "c")).set("notify", "smtp_password", SECRET)
    token_before = (await raw(sessions, "github_token")).config_value
    current = store_with(sessions, keyed(KEY_B, "b", a=KEY_A))
    with pytest.raises(ConfigSecretError) as caught:
        await current.stored_values()
    message = str(caught.value)
    assert "notify.smtp_password" in message and "SITEGEN_PAYLOAD_OLD_KEYS" in message
    assert SECRET not in message and KEY_C not in message
    with pytest.raises(ConfigSecretError, match=r"notify\.smtp_password"):
        await current.rotate()
    # The row it could re-seal was rolled back with the one it could not.
    assert (await raw(sessions, "github_token")).config_value == token_before
    # The worker stops at start, naming the row.
    settings = Settings(
        data_dir=tmp_path,
        payload_key=SecretStr(KEY_B),
        payload_key_id="b",
        payload_old_keys={"a": SecretStr(KEY_A)},
    )
    with pytest.raises(StoredConfigInvalid, match=r"notify\.smtp_password"):
        await settings_with_stored_config(settings, engine)


async def test_env_beats_database_beats_default(
    store: IntegrationConfigStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITEGEN_SMTP_HOST", "mail.from-env.example")
    await store.set("notify", "smtp_host", "mail.from-database.example")
    await store.set("notify", "smtp_port", "2525")
    await store.set("notify", "smtp_password", SECRET)
    base = Settings()
    effective = await settings_with_stored_config(base, engine)
    assert effective.smtp_host == "mail.from-env.example"  # env
    assert effective.smtp_port == 2525  # database, validated into an int
    assert effective.smtp_password is not None
    assert effective.smtp_password.get_secret_value() == SECRET
    assert effective.smtp_username is None  # default
    stored = await store.stored_values()
    sources = {k: catalogue.source(k, base, stored) for k in ("smtp_host", "smtp_port", "smtp_tls")}
    assert sources == {"smtp_host": "env", "smtp_port": "database", "smtp_tls": "default"}
    # What the code building the settings says explicitly wins too (the tests' own way).
    explicit = Settings(smtp_port=25)
    assert catalogue.overlay(explicit, stored).smtp_port == 25


async def test_a_bad_value_names_its_field_and_never_a_secret(
    store: IntegrationConfigStore, engine: AsyncEngine, tmp_path: Path
) -> None:
    stored = {"anthropic_api_key": SECRET, "ai_provider": "claude", "smtp_port": "0"}
    with pytest.raises(catalogue.ConfigValueError) as caught:
        catalogue.overlay(Settings(), stored)
    message = str(caught.value)
    assert "ai.ai_provider: Input should be 'offline' or 'anthropic'" in message
    assert "notify.smtp_port: Input should be greater than 0" in message
    assert SECRET not in message
    with pytest.raises(catalogue.ConfigValueError, match=r"github_template_repos: not valid JSON"):
        catalogue.overlay(Settings(), {"github_template_repos": "landing=agency/x"})
    mapped = catalogue.overlay(Settings(), {"github_template_repos": '{"landing": "agency/x"}'})
    assert mapped.github_template_repos == {"landing": "agency/x"}
    await store.set("ai", "anthropic_api_key", SECRET)
    await store.set("ai", "anthropic_timeout_seconds", "-1")
    with pytest.raises(StoredConfigInvalid) as stopped:
        await settings_with_stored_config(Settings(data_dir=tmp_path), engine)
    assert "ai.anthropic_timeout_seconds" in str(stopped.value) and SECRET not in str(stopped.value)


async def test_the_stored_ai_provider_switches_the_worker_to_anthropic(
    store: IntegrationConfigStore, engine: AsyncEngine, tmp_path: Path
) -> None:
    base = Settings(data_dir=tmp_path)
    assert isinstance(make_ai(await settings_with_stored_config(base, engine)), OfflineAI)
    with FakeAnthropic().running() as fake:
        await store.set("ai", "ai_provider", "anthropic")
        await store.set("ai", "anthropic_api_key", KEY)
        await store.set("ai", "anthropic_base_url", fake.url)
        settings = await settings_with_stored_config(base, engine)
        ai = make_ai(settings)
        assert isinstance(ai, AnthropicAI)
        assert str(ai.client.base_url).rstrip("/") == fake.url
        # The client the worker would build reaches the fake with the stored key.
        page = await ai.client.models.list(limit=1)
        assert page.data[0].id
        assert (await run_probe("ai", settings)).ok


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    return {"SITEGEN_DATABASE_URL": database_url, "SITEGEN_DATA_DIR": str(tmp_path),
            "COLUMNS": "250"}  # fmt: skip


async def sitegen(env: dict[str, str | None], *args: str, stdin: str | None = None) -> Result:
    """In a thread: the command runs its own event loop."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, ["integrations", *args], stdin, env)


def table(output: str) -> dict[str, list[str]]:
    """`list`'s rows by key: the cells of each line of rich's table."""
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines()]
    return {cells[1]: cells for cells in rows if len(cells) == 5 and cells[1] != "key"}


async def test_cli_set_list_unset_and_rotate(
    store: IntegrationConfigStore, sessions: Sessions, cli_env: dict[str, str | None]
) -> None:
    with capture_logs() as logs:
        done = await sitegen(cli_env, "set", "ai", "anthropic_api_key", "-", stdin=SECRET + "\n")
    assert done.exit_code == 0, done.output
    assert SECRET not in done.output and SECRET not in repr(logs)
    assert SECRET not in (await raw(sessions, "anthropic_api_key")).config_value
    assert (await sitegen(cli_env, "set", "ai", "ai_provider", "anthropic")).exit_code == 0

    listed = await sitegen(cli_env, "list", "ai")
    assert listed.exit_code == 0, listed.output
    assert SECRET not in listed.output
    shown = table(listed.output)
    assert shown["anthropic_api_key"] == ["ai", "anthropic_api_key", "••••", "database", ""]
    assert shown["ai_provider"][2:4] == ["anthropic", "database"]
    assert shown["anthropic_timeout_seconds"][2:4] == ["240.0", "default"]
    overridden = await sitegen({**cli_env, "SITEGEN_AI_PROVIDER": "offline"}, "list", "ai")
    assert table(overridden.output)["ai_provider"][2:4] == ["offline", "env (over database)"]

    bad = await sitegen(cli_env, "set", "notify", "smtp_port", "seventy")
    assert bad.exit_code == 1 and "notify.smtp_port" in bad.output
    unknown = await sitegen(cli_env, "set", "ai", "payload_key", SECRET)
    assert unknown.exit_code == 1 and "ai has no setting 'payload_key'" in unknown.output
    assert SECRET not in unknown.output

    removed = await sitegen(cli_env, "unset", "ai", "ai_provider")
    assert removed.exit_code == 0 and "removed" in removed.output
    assert [r.config_key for r in await store.rows()] == ["anthropic_api_key"]
    rotated = await sitegen(cli_env, "rotate")
    assert rotated.exit_code == 0 and "re-encrypted 1 secret" in rotated.output


async def test_cli_test_records_the_outcome(
    store: IntegrationConfigStore,
    sessions: Sessions,
    cli_env: dict[str, str | None],
    webhook_receiver: WebhookReceiver,
) -> None:
    await store.set("webhook", "webhook_url", webhook_receiver.url)
    await store.set("webhook", "webhook_secret", webhook_receiver.secret.decode())
    passed = await sitegen(cli_env, "test", "webhook")
    assert passed.exit_code == 0, passed.output
    assert "accepted a signed ping" in passed.output
    assert [d.signature_ok for d in webhook_receiver.deliveries] == [True]
    row = await raw(sessions, "webhook_secret")
    assert row.last_tested_at is not None and row.last_test_success is True

    await store.set("webhook", "webhook_secret", "not-the-receivers-secret")
    failed = await sitegen(cli_env, "test", "webhook")
    assert failed.exit_code == 1
    assert "SITEGEN_WEBHOOK_SECRET" in failed.output and "not-the-receivers" not in failed.output
    assert "t0k3n" not in failed.output
    rows = await store.rows("webhook")
    assert [r.last_test_success for r in rows] == [False, False]
    listed = await sitegen(cli_env, "list", "webhook")
    assert "t0k3n" not in listed.output
    shown = table(listed.output)
    assert shown["webhook_url"][2:4] == ["••••", "database"]
    assert shown["webhook_secret"][4].endswith(" failed")


async def test_cli_without_a_database_says_what_to_run(tmp_path: Path) -> None:
    env = {"SITEGEN_DATA_DIR": str(tmp_path), "SITEGEN_POSTGRES_PORT": "9",
           "SITEGEN_DATABASE_URL": None}  # fmt: skip
    result = await sitegen(env, "list")
    assert result.exit_code == 1
    assert "is `sitegen dev` running?" in result.output
