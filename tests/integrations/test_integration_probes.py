"""`sitegen integrations test`'s probes against the local fakes of each service, through the
real SDKs: each succeeds with the right credentials and fails, in one line naming the
setting to check and holding no secret, with a wrong one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

from sitegen.config_catalogue import CATALOGUE
from sitegen.integrations.probes import NOTHING_TO_TEST, ProbeResult, run_probe
from sitegen.settings import Settings
from tests.fakes.anthropic import KEY, MODELS, FakeAnthropic
from tests.fakes.cloudflare import FakeCloudflare, running_fake
from tests.fakes.github import FakeGitHub
from tests.fakes.smtp import SmtpServer
from tests.fakes.webhook import WebhookReceiver, webhook_receiver
from tests.integrations.git_backends import ORG, TOKEN

if TYPE_CHECKING:
    from tests.fakes.s3 import S3Fake

pytest_plugins = ["tests.fakes.s3"]
__all__ = ["webhook_receiver"]

WRONG = "wrong-credential-5f1c9e"


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path, **values)


def failed(result: ProbeResult, *settings_named: str) -> str:
    """The failure's line, after checking what every failure must be."""
    assert not result.ok, result.detail
    assert "\n" not in result.detail
    assert WRONG not in result.detail
    for name in settings_named:
        assert name in result.detail
    return result.detail


async def test_local_defaults_have_nothing_to_test(tmp_path: Path) -> None:
    for kind in CATALOGUE:
        result = await run_probe(kind, settings(tmp_path))
        assert result.ok, result
        assert result.detail.startswith("nothing to test")
    assert (await run_probe("ai", settings(tmp_path))).detail == NOTHING_TO_TEST


@pytest.fixture
def anthropic_fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic().running() as fake:
        yield fake


async def test_ai_probe_lists_one_model(anthropic_fake: FakeAnthropic, tmp_path: Path) -> None:
    def claude(key: str) -> Settings:
        return settings(tmp_path, ai_provider="anthropic", anthropic_api_key=SecretStr(key),
                        anthropic_base_url=anthropic_fake.url)  # fmt: skip

    result = await run_probe("ai", claude(KEY))
    assert result.ok, result.detail
    assert MODELS[0] in result.detail
    assert anthropic_fake.requests == []  # no Messages call: nothing paid for
    detail = failed(await run_probe("ai", claude(WRONG)), "401", "SITEGEN_ANTHROPIC_API_KEY")
    assert KEY not in detail
    missing = await run_probe("ai", settings(tmp_path, ai_provider="anthropic"))
    failed(missing, "SITEGEN_ANTHROPIC_API_KEY is not set")


async def test_git_probe_reads_the_org(tmp_path: Path) -> None:
    with FakeGitHub(tmp_path / "github", token=TOKEN, orgs=(ORG,)) as fake:

        def github(token: str, org: str = ORG) -> Settings:
            return settings(tmp_path, git_provider="github", github_token=SecretStr(token),
                            github_org=org, github_api_url=fake.url)  # fmt: skip

        result = await run_probe("git", github(TOKEN))
        assert result.ok, result.detail
        assert fake.count("GET", f"/orgs/{ORG}$") == 1
        failed(await run_probe("git", github(WRONG)), "SITEGEN_GITHUB_TOKEN")
        failed(await run_probe("git", github(TOKEN, "nobody")), "'nobody'", "SITEGEN_GITHUB_ORG")


@pytest.fixture
def cloudflare() -> Iterator[FakeCloudflare]:
    with running_fake() as fake:
        yield fake


async def test_hosting_probe_lists_one_dns_record(
    cloudflare: FakeCloudflare, tmp_path: Path
) -> None:
    state = cloudflare.state

    def hosting(token: str, zone: str = state.zone_id) -> Settings:
        return settings(
            tmp_path, hosting_provider="cloudflare", cloudflare_api_token=SecretStr(token),
            cloudflare_account_id=state.account_id, cloudflare_zone_id=zone,
            cloudflare_api_url=cloudflare.api_url,
        )  # fmt: skip

    result = await run_probe("hosting", hosting(state.token))
    assert result.ok, result.detail
    # One page, not the paginator run to its end.
    assert cloudflare.count("GET", "/dns_records$") == 1
    failed(await run_probe("hosting", hosting(WRONG)), "SITEGEN_CLOUDFLARE_API_TOKEN")
    failed(await run_probe("hosting", hosting(state.token, "zone-x")), "SITEGEN_CLOUDFLARE_ZONE_ID")
    no_account = hosting(state.token).model_copy(update={"cloudflare_account_id": None})
    failed(await run_probe("hosting", no_account), "SITEGEN_CLOUDFLARE_ACCOUNT_ID is not set")


async def test_storage_probe_heads_the_bucket(s3: S3Fake, s3_bucket: str, tmp_path: Path) -> None:
    def storage(**overrides: Any) -> Settings:
        return settings(tmp_path, **s3.settings(s3_bucket, **overrides))

    with s3.require_signatures():
        result = await run_probe("storage", storage())
        assert result.ok, result.detail
        assert s3.last_request("HEAD", f"/{s3_bucket}")
        wrong = await run_probe("storage", storage(s3_secret_access_key=SecretStr(WRONG)))
        detail = failed(wrong, "SITEGEN_S3_SECRET_ACCESS_KEY")
        assert s3.secret_access_key not in detail
    failed(await run_probe("storage", storage(s3_bucket="no-such-bucket")), "SITEGEN_S3_BUCKET")


@pytest.fixture
def smtp_login() -> Iterator[SmtpServer]:
    server = SmtpServer(credentials=("studio", "right-password"))
    server.up()
    try:
        yield server
    finally:
        server.down()


async def test_notify_probe_logs_in_and_quits(smtp_login: SmtpServer, tmp_path: Path) -> None:
    def smtp(password: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "notify_channel": "smtp", "smtp_host": smtp_login.host, "smtp_port": smtp_login.port,
            "smtp_starttls": False, "smtp_username": "studio", "smtp_timeout_seconds": 5,
            "smtp_password": SecretStr(password),
        }  # fmt: skip
        return settings(tmp_path, **{**values, **overrides})

    result = await run_probe("notify", smtp("right-password"))
    assert result.ok, result.detail
    assert "logged in" in result.detail
    assert smtp_login.received == []  # connected and left: no message sent
    failed(await run_probe("notify", smtp(WRONG)), "SITEGEN_SMTP_PASSWORD")
    # This server has no STARTTLS: asking for it is a setting to fix, said as such.
    failed(await run_probe("notify", smtp("right-password", smtp_starttls=True)),
           "SITEGEN_SMTP_STARTTLS")  # fmt: skip
    smtp_login.down()
    failed(await run_probe("notify", smtp("right-password")), "SITEGEN_SMTP_HOST")


async def test_webhook_probe_posts_a_signed_ping(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    def hook(secret: str) -> Settings:
        return settings(tmp_path, webhook_url=webhook_receiver.url,
                        webhook_secret=SecretStr(secret), webhook_timeout_seconds=5)  # fmt: skip

    result = await run_probe("webhook", hook(webhook_receiver.secret.decode()))
    assert result.ok, result.detail
    [delivery] = webhook_receiver.deliveries
    assert delivery.signature_ok
    assert delivery.event["kind"] == "ping"
    assert delivery.headers["X-Sitegen-Event"] == "ping"
    detail = failed(await run_probe("webhook", hook(WRONG)), "401", "SITEGEN_WEBHOOK_SECRET")
    assert "t0k3n" not in detail  # the URL's query carries the receiver's token
    unsigned = settings(tmp_path, webhook_url=webhook_receiver.url)
    failed(await run_probe("webhook", unsigned), "SITEGEN_WEBHOOK_SECRET")
