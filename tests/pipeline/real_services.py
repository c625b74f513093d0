"""Every real adapter switched on at once, each against its local fake: Claude (the
Messages API fake), GitHub (the REST fake), Cloudflare Pages + DNS (the v4 API fake), S3
(moto's server), e-mail over SMTP (aiosmtpd) and the agency's webhook. The settings are the
ones an agency sets in production, pointed at the fakes; `env()` is the same for a worker
process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sitegen.settings import Settings
from tests.fakes.anthropic import KEY as ANTHROPIC_KEY
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.cloudflare import FakeCloudflare, running_fake
from tests.fakes.github import FakeGitHub
from tests.fakes.s3 import S3Fake
from tests.fakes.smtp import SmtpServer
from tests.fakes.webhook import WebhookReceiver

# Recognisable in any log, answer or history they might leak into.
GITHUB_TOKEN = "ghp_RealServicesT0kenValue0123456789abcXYZ"
CLOUDFLARE_TOKEN = "cf-real-services-token-9d8c7b6a5f4e3d2c1b0a"
SMTP_LOGIN = ("studio", "smtp-real-services-password-5e4d3c2b")
ORG = "agency"
PREVIEW_DOMAIN = "preview.agency.test"
PRODUCTION_DOMAIN = "sites.agency.test"


@dataclass
class RealServices:
    anthropic: FakeAnthropic
    github: FakeGitHub
    cloudflare: FakeCloudflare
    s3: S3Fake
    bucket: str
    smtp: SmtpServer
    webhook: WebhookReceiver

    def secrets(self) -> dict[str, str]:
        """Every credential in play: none may appear in a log, an answer or a history."""
        return {
            "anthropic key": ANTHROPIC_KEY,
            "github token": GITHUB_TOKEN,
            "cloudflare token": CLOUDFLARE_TOKEN,
            "s3 secret key": self.s3.secret_access_key,
            "webhook secret": self.webhook.secret.decode(),
            "webhook url token": self.webhook.url.split("token=", 1)[1],
            "smtp password": SMTP_LOGIN[1],
        }

    def settings(self) -> dict[str, Any]:
        return {
            "ai_provider": "anthropic",
            "anthropic_api_key": SecretStr(ANTHROPIC_KEY),
            "anthropic_base_url": self.anthropic.url,
            "git_provider": "github",
            "github_token": SecretStr(GITHUB_TOKEN),
            "github_org": ORG,
            "github_api_url": self.github.url,
            "hosting_provider": "cloudflare",
            "cloudflare_api_token": SecretStr(CLOUDFLARE_TOKEN),
            "cloudflare_account_id": self.cloudflare.state.account_id,
            "cloudflare_zone_id": self.cloudflare.state.zone_id,
            "cloudflare_api_url": self.cloudflare.api_url,
            "cloudflare_timeout_seconds": 10,
            "public_base_domain": PREVIEW_DOMAIN,
            "production_base_domain": PRODUCTION_DOMAIN,
            **self.s3.settings(self.bucket, s3_prefix="agency"),
            "notify_channel": "smtp",
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "smtp_starttls": False,
            "smtp_username": SMTP_LOGIN[0],
            "smtp_password": SecretStr(SMTP_LOGIN[1]),
            "smtp_timeout_seconds": 5,
            "webhook_url": self.webhook.url,
            "webhook_secret": SecretStr(self.webhook.secret.decode()),
            "notify_retry_base_seconds": 0.3,
            "notify_poll_seconds": 0.2,
        }

    def env(self) -> dict[str, str]:
        def text(value: Any) -> str:
            if isinstance(value, SecretStr):
                return value.get_secret_value()
            if isinstance(value, dict | list):
                return json.dumps(value)
            return str(value).lower() if isinstance(value, bool) else str(value)

        return {f"SITEGEN_{k.upper()}": text(v) for k, v in self.settings().items()}

    def site(self, host: str, path: str = "/") -> tuple[int, str]:
        """A visitor's GET of a deployed site, answered as Cloudflare's edge would."""
        status, _, body = self.cloudflare.serve_site(host, path)
        return status, body.decode(errors="replace")


@pytest.fixture
def services(
    tmp_path: Path, s3: S3Fake, s3_bucket: str, webhook_receiver: WebhookReceiver
) -> Iterator[RealServices]:
    """Every fake running (the SMTP server asks for a login); a test module loads this file
    (and the fakes' fixture modules) with `pytest_plugins` and overrides `settings` with
    `services.settings()`."""
    smtp = SmtpServer(credentials=SMTP_LOGIN)
    smtp.up()
    try:
        with real_services(
            tmp_path, s3, s3_bucket, smtp, webhook_receiver, Settings().templates_dir
        ) as running:
            yield running
    finally:
        smtp.down()


@contextmanager
def real_services(
    tmp: Path, s3: S3Fake, bucket: str, smtp: SmtpServer, webhook: WebhookReceiver, templates: Path
) -> Iterator[RealServices]:
    with ExitStack() as stack:
        anthropic = stack.enter_context(FakeAnthropic().running())
        github = stack.enter_context(FakeGitHub(tmp / "github", token=GITHUB_TOKEN, orgs=(ORG,)))
        for template in ("landing", "saas", "portfolio"):
            github.add_template(f"{ORG}/sitegen-template-{template}", templates / template)
        cloudflare = stack.enter_context(running_fake(token=CLOUDFLARE_TOKEN))
        yield RealServices(anthropic, github, cloudflare, s3, bucket, smtp, webhook)
