"""One harmless call per integration, with the settings a worker would run with, through
the same SDKs the adapters use: does this key, this org, this zone, this bucket work?

A probe never changes anything (the webhook gets a `ping` event it can ignore). Its answer
is one line; on failure the line names the setting to check, never a secret: SDK messages
are not passed on whole (their requests carry credentials), only status codes and the
service's short reason where that is known to be safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from sitegen.settings import Settings

NOTHING_TO_TEST = "nothing to test: local default"


@dataclass(frozen=True)
class ProbeResult:
    integration_type: str
    ok: bool
    detail: str


class ProbeFailed(Exception):
    """A probe's one-line reason."""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]


async def probe_ai(settings: Settings) -> str:
    if settings.ai_provider == "offline":
        return NOTHING_TO_TEST
    import anthropic

    from sitegen.integrations.ai.claude.client import make_client

    key = settings.anthropic_api_key
    if key is None or not key.get_secret_value().strip():
        raise ProbeFailed("SITEGEN_ANTHROPIC_API_KEY is not set")
    where = settings.anthropic_base_url or "the Anthropic API"
    client = make_client(settings)
    try:
        page = await client.models.list(limit=1)
    except anthropic.AuthenticationError:
        raise ProbeFailed(
            "Anthropic refused the key (401); check SITEGEN_ANTHROPIC_API_KEY"
        ) from None
    except anthropic.PermissionDeniedError:
        raise ProbeFailed(
            "Anthropic: the key may not list models (403); check SITEGEN_ANTHROPIC_API_KEY"
        ) from None
    except anthropic.APIStatusError as exc:
        raise ProbeFailed(
            f"{where} answered {exc.status_code}; check SITEGEN_ANTHROPIC_BASE_URL"
        ) from None
    except anthropic.APIConnectionError as exc:  # timeouts included
        raise ProbeFailed(
            f"no answer from {where} ({type(exc).__name__}); check SITEGEN_ANTHROPIC_BASE_URL"
        ) from None
    finally:
        await client.close()
    first = page.data[0].id if page.data else "none listed"
    return f"Anthropic answered; models visible to the key (first: {first})"


async def probe_git(settings: Settings) -> str:
    if settings.git_provider == "local":
        return NOTHING_TO_TEST
    from sitegen.integrations.git._github_api import GitHubApi
    from sitegen.integrations.git.base import GitError

    token, org = settings.github_token, settings.github_org
    if token is None or not token.get_secret_value():
        raise ProbeFailed("SITEGEN_GITHUB_TOKEN is not set")
    if not org:
        raise ProbeFailed("SITEGEN_GITHUB_ORG is not set")
    api = GitHubApi(token.get_secret_value(), org, settings.github_api_url, timeout=15)
    try:
        found = await api.org_exists()
    except GitError as exc:  # its messages name the setting, never the token
        raise ProbeFailed(str(exc)) from None
    if not found:
        raise ProbeFailed(
            f"GitHub has no organisation {org!r} visible to the token; check SITEGEN_GITHUB_ORG"
        )
    return f"GitHub answered; organisation {org!r} found"


async def probe_hosting(settings: Settings) -> str:
    if settings.hosting_provider == "local":
        return NOTHING_TO_TEST
    import cloudflare
    from cloudflare import AsyncCloudflare

    from sitegen.integrations.hosting.cloudflare_errors import ZONE_SETTING, translate

    for setting, value in (
        ("SITEGEN_CLOUDFLARE_API_TOKEN", settings.cloudflare_api_token),
        ("SITEGEN_CLOUDFLARE_ACCOUNT_ID", settings.cloudflare_account_id),
        (ZONE_SETTING, settings.cloudflare_zone_id),
    ):
        if not value:
            raise ProbeFailed(f"{setting} is not set")
    assert settings.cloudflare_api_token is not None and settings.cloudflare_zone_id
    client = AsyncCloudflare(
        api_token=settings.cloudflare_api_token.get_secret_value(),
        base_url=settings.cloudflare_api_url,
        max_retries=0,
        timeout=min(settings.cloudflare_timeout_seconds, 30),
    )
    try:
        # Awaited, the paginator gives its first page only (iterating it would read them all).
        await client.dns.records.list(zone_id=settings.cloudflare_zone_id, per_page=1)
    except cloudflare.CloudflareError as exc:
        # The translation names the setting; SDK errors are not chained (their request
        # carries the token).
        error = translate(exc, "listing DNS records", ZONE_SETTING)
        raise ProbeFailed(getattr(error, "message", str(error))) from None
    finally:
        await client.close()
    return "Cloudflare answered; the zone's DNS records are readable"


async def probe_storage(settings: Settings) -> str:
    if settings.storage_provider == "filesystem":
        return NOTHING_TO_TEST
    import aioboto3
    from aiobotocore.config import AioConfig
    from botocore.exceptions import BotoCoreError, ClientError

    for setting, value in (
        ("SITEGEN_S3_BUCKET", settings.s3_bucket),
        ("SITEGEN_S3_ACCESS_KEY_ID", settings.s3_access_key_id),
        ("SITEGEN_S3_SECRET_ACCESS_KEY", settings.s3_secret_access_key),
    ):
        if not value:
            raise ProbeFailed(f"{setting} is not set")
    assert settings.s3_secret_access_key is not None
    bucket = settings.s3_bucket
    config = AioConfig(  # as S3Storage builds its client, with one try: a probe wants the truth
        signature_version="s3v4",
        s3={"addressing_style": settings.s3_addressing_style},
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=settings.s3_timeout_seconds,
        read_timeout=settings.s3_timeout_seconds,
    )
    where = f"S3 HeadBucket on {bucket!r}"
    try:
        async with aioboto3.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key.get_secret_value(),
            config=config,
        ) as client:
            await client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise ProbeFailed(f"{where}: {code or 'refused'}; {_s3_hint(code)}") from None
    except (BotoCoreError, OSError, TimeoutError) as exc:
        raise ProbeFailed(
            f"{where}: cannot reach the service ({type(exc).__name__}); check "
            "SITEGEN_S3_ENDPOINT_URL and SITEGEN_S3_REGION"
        ) from None
    return f"S3 answered; bucket {bucket!r} is reachable with these credentials"


def _s3_hint(code: str) -> str:
    # HeadBucket has no body: the status code is all S3 says.
    if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return (
            "check SITEGEN_S3_ACCESS_KEY_ID and SITEGEN_S3_SECRET_ACCESS_KEY (and that they "
            "may use this bucket)"
        )
    if code in ("404", "NoSuchBucket"):
        return "check SITEGEN_S3_BUCKET and SITEGEN_S3_ENDPOINT_URL"
    if code in ("301", "400", "PermanentRedirect", "AuthorizationHeaderMalformed"):
        return "wrong region or endpoint: check SITEGEN_S3_REGION and SITEGEN_S3_ENDPOINT_URL"
    return "check SITEGEN_S3_ENDPOINT_URL"


async def probe_notify(settings: Settings) -> str:
    if settings.notify_channel == "local":
        return NOTHING_TO_TEST
    import aiosmtplib

    where = f"the SMTP server {settings.smtp_host}:{settings.smtp_port}"
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls,
        start_tls=False,  # done below, when configured, so each step's failure is named
        timeout=min(settings.smtp_timeout_seconds, 30),
    )
    try:
        await smtp.connect()
        await smtp.ehlo()
        if settings.smtp_starttls and not settings.smtp_tls:
            await smtp.starttls()
        if settings.smtp_username:
            password = settings.smtp_password
            await smtp.login(
                settings.smtp_username, password.get_secret_value() if password else ""
            )
        await smtp.quit()
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise ProbeFailed(
            f"{where} refused the login ({exc.code}); check SITEGEN_SMTP_USERNAME and "
            "SITEGEN_SMTP_PASSWORD"
        ) from None
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        raise ProbeFailed(
            f"cannot reach {where} ({type(exc).__name__}); check SITEGEN_SMTP_HOST, "
            "SITEGEN_SMTP_PORT and SITEGEN_SMTP_TLS"
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise ProbeFailed(
            f"{where}: {_one_line(exc.message).rstrip('.')}; check "
            "SITEGEN_SMTP_STARTTLS, SITEGEN_SMTP_TLS and SITEGEN_SMTP_USERNAME"
        ) from None
    finally:
        smtp.close()
    login = ", logged in" if settings.smtp_username else ""
    tls = ", STARTTLS" if settings.smtp_starttls and not settings.smtp_tls else ""
    return f"{where} answered: EHLO{tls}{login}"


async def probe_webhook(settings: Settings) -> str:
    if not settings.webhook_url:
        return "nothing to test: no webhook configured"
    from sitegen.integrations.notify.base import DeliveryFailed, Envelope
    from sitegen.integrations.notify.webhook import Webhook

    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise ProbeFailed("SITEGEN_WEBHOOK_URL is set without SITEGEN_WEBHOOK_SECRET")
    url = httpx.URL(settings.webhook_url)
    # The host only: a webhook's path or query often carries a token.
    where = f"the webhook at {url.scheme}://{url.netloc.decode()}"
    ping = f"ping-{uuid.uuid4().hex}"
    envelope = Envelope(
        delivery_id=ping,
        kind="ping",
        recipient=settings.workspace_notify_recipient,
        subject="sitegen ping",
        text="A test event from `sitegen integrations test webhook`; nothing to do.",
        html="",
        event={"kind": "ping", "created_at": datetime.now(UTC).isoformat(), "payload": {}},
    )
    async with httpx.AsyncClient() as http:
        channel = Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value().encode(),
            http,
            settings.webhook_timeout_seconds,
        )
        try:
            await channel.send(envelope)
        except DeliveryFailed as exc:
            raise ProbeFailed(
                f"{where}: {exc}; check SITEGEN_WEBHOOK_URL and SITEGEN_WEBHOOK_SECRET (the "
                "receiver checks the signature with it)"
            ) from None
    return f"{where} accepted a signed ping"


PROBES: dict[str, Callable[[Settings], Awaitable[str]]] = {
    "ai": probe_ai,
    "git": probe_git,
    "hosting": probe_hosting,
    "storage": probe_storage,
    "notify": probe_notify,
    "webhook": probe_webhook,
}


async def run_probe(integration_type: str, settings: Settings) -> ProbeResult:
    try:
        detail = await PROBES[integration_type](settings)
        ok = True
    except ProbeFailed as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # an answer no branch above expected: its type, not its text
        detail, ok = f"unexpected {type(exc).__name__}", False
    return ProbeResult(integration_type, ok, _one_line(detail))
