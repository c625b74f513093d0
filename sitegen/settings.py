"""Every setting, in one place. Environment variables use the prefix SITEGEN_."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from sitegen.contracts.ai_roles import AIRoleOverride, AIStep, ModelName, ModelPrice
from sitegen.settings_jobs import JobSettings

if TYPE_CHECKING:
    from sitegen.integrations.hosting.base import SiteAddresses

REPO_ROOT = Path(__file__).resolve().parent.parent


def _find_chromium() -> str | None:
    """Debian's package, else Ubuntu's name for it (looked up when settings are read)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Settings(JobSettings):
    model_config = SettingsConfigDict(env_prefix="SITEGEN_", env_file=".env", extra="ignore")

    # Where the local stack keeps everything it stores (Postgres, Temporal, repos, sites).
    data_dir: Path = Path(".sitegen")

    # Postgres: unset means "start the embedded server under data_dir".
    database_url: SecretStr | None = None
    postgres_port: int = 54329

    # Temporal: unset means "start the dev server under data_dir".
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    task_queue: str = "sitegen"
    # A TLS Temporal (Temporal Cloud, or a cluster of your own): checked and read by
    # sitegen/temporal_client.py as each process starts. Each PEM by path (a mounted secret)
    # or as the value itself. mTLS needs the client certificate and its key; the server's CA
    # only when it is not in the system's store; the server name only when its certificate
    # does not carry the address's host. Or an API key. Any of them turns TLS on;
    # `temporal_tls` forces it on (server TLS alone) or off (an API key over a local proxy).
    temporal_tls: bool | None = None
    temporal_tls_client_cert_path: Path | None = None
    temporal_tls_client_cert: SecretStr | None = None
    temporal_tls_client_key_path: Path | None = None
    temporal_tls_client_key: SecretStr | None = None
    temporal_tls_server_ca_cert_path: Path | None = None
    temporal_tls_server_ca_cert: SecretStr | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # What a request body may be (413 over the size, 422 past the JSON depth): forms are a
    # few kB; images come by URL.
    api_max_body_bytes: int = Field(default=2_000_000, ge=10_000)
    api_max_json_depth: int = Field(default=32, ge=4, le=256)
    # Rate limits (a 429 with Retry-After past them), counted in Postgres.
    rate_projects_per_customer_hour: int = Field(default=20, ge=1)
    rate_revisions_per_project_day: int = Field(default=50, ge=1)
    # Paid AI requests one project may make an hour (a read-back of a paid answer is not
    # one). Past it the step waits, retried by Temporal once the hour has room: a stop for
    # a loop gone wrong, well above a generation's few dozen calls.
    rate_ai_calls_per_project_hour: int = Field(default=200, ge=1)
    rate_logins_per_address_minute: int = Field(default=10, ge=1)
    rate_login_failures_per_account_minute: int = Field(default=10, ge=1)
    # Users: access tokens (JWT, signed under a key derived from the payload key) are short;
    # refresh tokens rotate on every use and are revoked at logout.
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1)
    # However often it is refreshed, a sign-in ends after this: then the password again.
    session_max_days: int = Field(default=90, ge=1)
    # A refresh token shown again this soon after it was spent is a second tab or a retried
    # request, not a thief: it gets a pair of its own instead of ending the sign-in.
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0, le=300)
    # The API's connection: a role row-level security applies to (migration 0005 makes
    # `sitegen_app`). Unset: database_url's server and database, as `sitegen_app` with no
    # password (the local stack's Postgres trusts local connections).
    api_database_url: SecretStr | None = None
    # Live progress (GET /projects/{id}/events): how often a stream looks for new events, and
    # how long one lasts before the browser reconnects (resuming with Last-Event-ID).
    events_poll_seconds: float = Field(default=1.0, gt=0, le=10)
    events_stream_seconds: float = Field(default=300, gt=0, le=900)
    # Whether a client may approve its own preview for delivery (the agency always may).
    client_can_approve: bool = True
    # The key the CLI and the demo send to the API (an API key, `sgk_...`). Unset: the local
    # stack's own, made at start-up in {data_dir}/secrets/api_key.
    api_key: SecretStr | None = None
    # Local static host: previews at http://{slug}.{public_base_domain}:{hosting_port}/,
    # versions at {slug}--v{n}.{public_base_domain}, production at {slug}.{production_base_domain}.
    hosting_port: int = 8080
    public_base_domain: str = "localhost"
    production_base_domain: str = "live.localhost"
    # Cloudflare Pages + DNS (hosting_provider="cloudflare"): a Pages project per site, its
    # addresses proxied CNAMEs in this zone, which must hold both base domains above (https,
    # no port). The token needs Account > Cloudflare Pages: Edit and Zone > DNS: Edit.
    cloudflare_api_token: SecretStr | None = None
    cloudflare_account_id: str | None = None
    cloudflare_zone_id: str | None = None
    cloudflare_api_url: str = "https://api.cloudflare.com/client/v4"
    cloudflare_timeout_seconds: float = Field(default=60, gt=0)

    templates_dir: Path = REPO_ROOT / "templates"

    ai_provider: Literal["offline", "anthropic"] = "offline"
    git_provider: Literal["local", "github"] = "local"
    hosting_provider: Literal["local", "cloudflare"] = "local"
    storage_provider: Literal["filesystem", "s3"] = "filesystem"

    # GitHub (git_provider="github"): each project's repo is generated, private, in this
    # organisation from its template repository: SITEGEN_GITHUB_TEMPLATE_REPOS maps a template
    # id to "owner/repo" (e.g. {"landing": "agency/site-landing"}); an unmapped id uses
    # "{org}/sitegen-template-{id}". The token (fine-grained: the org's repositories with
    # Administration and Contents read/write) and the org are required; the worker stops
    # without them. The API URL is for GitHub Enterprise Server or a test fake.
    github_token: SecretStr | None = None
    github_org: str | None = None
    github_api_url: str = "https://api.github.com"
    github_template_repos: dict[str, str] = Field(default_factory=dict)

    # S3-compatible storage (storage_provider="s3"): AWS S3, Cloudflare R2, MinIO. No
    # endpoint: AWS's, for the region. R2: https://<account id>.r2.cloudflarestorage.com
    # with region "auto". Bucket and both keys are required; the worker stops without them.
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # Every key is stored under this prefix (e.g. "sitegen/prod"); empty: the bucket root.
    s3_prefix: str = ""
    # "path" (https://host/bucket/key) for MinIO and most self-hosted servers; "virtual"
    # (https://bucket.host/key) for AWS; "auto" lets the SDK choose.
    s3_addressing_style: Literal["auto", "virtual", "path"] = "auto"
    s3_timeout_seconds: float = Field(default=30, gt=0)
    # Tries per call inside the SDK (1: no retry there). Blips are absorbed here; a longer
    # outage fails the step as "dependency unavailable", and Temporal retries it.
    s3_max_attempts: int = Field(default=3, ge=1, le=10)

    # Asset downloads: limits that protect the worker from hostile URLs.
    asset_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    asset_timeout_seconds: float = Field(default=10.0, gt=0)
    # Private/loopback asset hosts are refused unless allowed (a laptop or a test needs it).
    asset_allow_private_hosts: bool = False
    # Asset URLs on ports other than 80 and 443 are refused unless allowed (a public host's
    # other ports are its consoles and databases; a laptop's test servers need any port).
    asset_allow_any_port: bool = False

    # Claude (ai_provider="anthropic"). The key is required; the worker stops without it.
    # The base URL is for a gateway or a test fake; unset, the SDK's own.
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    # One request's bound, under the AI steps' 5-minute activity timeout. The client
    # itself never retries (max_retries=0): Temporal owns retries.
    anthropic_timeout_seconds: float = Field(default=240, gt=0)
    # Each AI step's role, over the built-in defaults (sitegen/integrations/ai/claude/roles.py)
    # and under a template's [ai.<step>] table. SITEGEN_AI_MODELS: step -> model, e.g.
    # {"page_content": "claude-haiku-5-5"}; SITEGEN_AI_ROLES: step -> {"model", "max_tokens",
    # "system", "effort"}.
    ai_models: dict[AIStep, ModelName] = Field(default_factory=dict)
    ai_roles: dict[AIStep, AIRoleOverride] = Field(default_factory=dict)
    # USD per million tokens by model ({"input", "output", "cache_read", "cache_write"}),
    # over the built-in price list; a model with no price stops the worker.
    ai_prices: dict[ModelName, ModelPrice] = Field(default_factory=dict)
    # An answer that fails validation is asked for again this many times, with the errors,
    # in the same activity; then the step fails for good (AIInvalidOutput).
    ai_max_invalid_retries: int = Field(default=2, ge=0, le=5)
    # What one project's AI calls may cost in all (generation and every revision), in USD,
    # unless its order sets its own. Each call reserves its maximum cost before it is sent,
    # so the total never passes this; a call that would is not made and the project waits
    # for an operator (raise the budget, retry the step).
    ai_budget_usd: Decimal = Field(default=Decimal("10"), gt=0, max_digits=10, decimal_places=2)
    # How long a paid AI answer (ai_call.response, which may quote client content) is kept
    # for reading back; then it is erased, and its costs and tokens stay as the accounting
    # record. Swept at most hourly by the outbox sender.
    ai_response_retention_days: int = Field(default=30, ge=1)

    # Paid orders. Stripe's webhook signing secret (whsec_...) for POST /api/v1/webhooks/stripe
    # (unset: the route answers 503), and how old a signed delivery may be.
    stripe_webhook_secret: SecretStr | None = None
    stripe_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # Where clients reach this service, for the links in e-mails (onboarding); unset: the
    # API's own address.
    public_api_url: str | None = None
    # How long a client's onboarding link works.
    onboarding_link_days: float = Field(default=14, gt=0, le=365)

    build_timeout_seconds: int = Field(default=120, ge=5)
    build_memory_mb: int = Field(default=1024, ge=64)
    build_max_processes: int = Field(default=256, ge=8)
    # Builds run AI-written code: without bubblewrap they are refused, unless this says a
    # shared network and filesystem are acceptable here (and every build report says so).
    build_allow_unsandboxed: bool = False
    # Builds (the sandboxed build, its gates and their browser) one worker runs at once; the
    # rest wait their turn. More than the cores only makes each slower: under 20 at once on
    # 2 cores, builds and browsers ran past their time limits.
    build_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1, le=64)
    max_fix_attempts: int = Field(default=3, ge=0, le=10)
    # Desktop and mobile screenshots of each passing build's home page (the
    # preview_screenshot artifact), by Chromium in the build sandbox: a path or a name on
    # PATH. Default: `chromium` (Debian's package), else `chromium-browser`. Not found, or
    # empty: no screenshots, and each build report says why (builds never fail for it).
    chromium: str | None = Field(default_factory=_find_chromium)
    screenshot_timeout_seconds: float = Field(default=30, gt=0)

    # A preview waiting for the client this long gets them a reminder; this long, and the
    # agency is told the project has stalled.
    review_reminder_days: float = Field(default=3, gt=0)
    review_escalation_days: float = Field(default=14, gt=0)
    # A run waiting for a corrected form looks at the stored one after this long (doubling
    # up to an hour), in case the API could not tell it (Temporal unreachable then).
    correction_check_seconds: float = Field(default=60, gt=0)
    # Continue a project's run as new past this many history events (0: when Temporal
    # suggests it). Only tests set it, to cross the boundary quickly.
    workflow_history_limit: int = Field(default=0, ge=0)

    # Who hears about a finished preview inside the agency.
    workspace_notify_recipient: str = "studio@agency.example"

    # Delivering the outbox (sitegen/workflows/outbox.py). E-mail goes through `local`
    # (RFC 5322 .eml files under {data_dir}/outbox, nothing leaves the machine) or `smtp`.
    notify_channel: Literal["local", "smtp"] = "local"
    mail_from: str = "sitegen <sitegen@agency.example>"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # STARTTLS after connecting (port 587); `smtp_tls` is TLS from the start (port 465).
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    # Set: the agency's own notifications go to this URL as HMAC-SHA256-signed JSON
    # instead of e-mail (client e-mails still go by the channel above).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    # A failed send waits base x 2^(attempt-1), at most the cap; after max attempts the
    # row is marked failed for good (failed_at, last_error) and no longer tried.
    notify_retry_base_seconds: float = Field(default=30, gt=0)
    notify_retry_max_seconds: float = Field(default=3600, gt=0)
    notify_max_attempts: int = Field(default=15, ge=1)
    # How often the sender looks for due rows, and how many it takes at once.
    notify_poll_seconds: float = Field(default=3, gt=0)
    notify_batch_size: int = Field(default=20, ge=1, le=500)
    # The worker starts this deployment's sender (one workflow per task queue, started
    # idempotently); off where another process runs it.
    notify_sender: bool = True

    log_level: str = "INFO"
    log_json: bool = False

    # Prometheus. GET /metrics (operators) reads the pipeline's numbers from Postgres at each
    # scrape, so every API process answers alike; it (and GET /api/v1/analytics) may query
    # for this long, then answers 503. The worker serves the Temporal SDK's own metrics
    # (task slots, poll latencies, activity failures) at http://host:port/metrics, without
    # sign-in (bind it where only Prometheus reaches), when given "host:port"; empty: off.
    metrics_query_timeout_seconds: float = Field(default=5, gt=0, le=60)
    worker_metrics_address: str | None = Field(default=None, pattern=r"^(\S+:\d{1,5})?$")

    # Payload encryption (sitegen/payload_codec.py): every payload crossing Temporal is
    # sealed with this key (32 bytes, base64 standard or url-safe), tagged with its id. Old
    # keys (id -> key, a JSON object) only decode, so a key can rotate without losing
    # history. Unset on a laptop: `sitegen dev` makes one in {data_dir}/secrets/payload.key.
    payload_key: SecretStr | None = None
    payload_key_id: str = "k1"
    payload_old_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # Browser origins allowed to call the codec endpoint (the Temporal UI decoding payloads
    # for an operator). Empty: the dev server's UI, http://localhost:{temporal_ui_port} and
    # http://127.0.0.1:{temporal_ui_port}.
    codec_cors_origins: list[str] = Field(default_factory=list)
    # Let the codec answer without sign-in, to callers on this machine only. `sitegen dev`
    # sets it when it runs Temporal itself and the API listens on loopback (the dev server's
    # UI cannot send a token, and whoever can call it there can read the key file anyway).
    codec_open_on_loopback: bool = False

    # Compose passes an unset variable as empty: that is unset, not the path "." or a bool.
    @field_validator(
        "temporal_tls",
        "temporal_tls_client_cert_path",
        "temporal_tls_client_key_path",
        "temporal_tls_server_ca_cert_path",
        "temporal_tls_server_name",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    # Key checks raise PayloadKeyError, not ValueError: pydantic would print the raw input,
    # the key itself, in its validation error.
    @field_validator("payload_key")
    @classmethod
    def _payload_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        from sitegen.payload_codec import parse_key

        if value is not None:
            parse_key(value.get_secret_value(), "SITEGEN_PAYLOAD_KEY")
        return value

    @field_validator("payload_key_id")
    @classmethod
    def _payload_key_id_is_a_name(cls, value: str) -> str:
        from sitegen.payload_codec import check_key_id

        return check_key_id(value, "SITEGEN_PAYLOAD_KEY_ID")

    @field_validator("payload_old_keys")
    @classmethod
    def _payload_old_keys_are_32_bytes(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        from sitegen.payload_codec import check_key_id, parse_key

        for key_id, key in value.items():
            check_key_id(key_id, "each key id of SITEGEN_PAYLOAD_OLD_KEYS")
            parse_key(key.get_secret_value(), f"SITEGEN_PAYLOAD_OLD_KEYS[{key_id!r}]")
        return value

    @model_validator(mode="after")
    def _payload_key_ids_are_unique(self) -> Settings:
        from sitegen.payload_codec import PayloadKeyError, parse_key

        old = self.payload_old_keys.get(self.payload_key_id)
        if old is not None and self.payload_key is not None:
            same = parse_key(old.get_secret_value(), "") == parse_key(
                self.payload_key.get_secret_value(), ""
            )
            if not same:
                raise PayloadKeyError(
                    f"SITEGEN_PAYLOAD_OLD_KEYS has {self.payload_key_id!r}, the id of the "
                    "current key (SITEGEN_PAYLOAD_KEY_ID), with a different key; a key id "
                    "must always name the same key"
                )
        return self

    @property
    def codec_origins(self) -> list[str]:
        if self.codec_cors_origins:
            return self.codec_cors_origins
        port = self.temporal_ui_port
        return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def storage_root(self) -> Path:
        return self.data_path / "storage"

    @property
    def repos_root(self) -> Path:
        return self.data_path / "repos"

    @property
    def sites_root(self) -> Path:
        return self.data_path / "sites"

    @property
    def work_root(self) -> Path:
        return self.data_path / "work"

    @property
    def outbox_root(self) -> Path:
        return self.data_path / "outbox"

    @property
    def addresses(self) -> SiteAddresses:
        # Imported here: reading settings should not load the hosting package (starlette).
        from sitegen.integrations.hosting.base import SiteAddresses

        if self.hosting_provider == "cloudflare":  # Cloudflare's edge: https, default port
            return SiteAddresses(
                self.public_base_domain, self.production_base_domain, port=None, scheme="https"
            )
        return SiteAddresses(
            preview_domain=self.public_base_domain,
            production_domain=self.production_base_domain,
            port=self.hosting_port,
        )

    @property
    def public_url(self) -> str:
        return self.public_api_url or f"http://{self.api_host}:{self.api_port}"

    def preview_url(self, slug: str) -> str:
        return self.addresses.preview(slug)


@lru_cache
def get_settings() -> Settings:
    return Settings()
