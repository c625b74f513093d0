"""Which adapter sits behind each port: one small factory per port, chosen by settings.

The local defaults need no account. A real service (Anthropic, GitHub, Cloudflare, S3) is
switched on by its `SITEGEN_*_PROVIDER` setting and its keys; one that is not available
stops the worker at start with the setting named, never halfway through a run.
"""

from __future__ import annotations

from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.ai.ledger import AILedger
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.hosting.base import Hosting
from sitegen.integrations.storage.base import Storage
from sitegen.settings import Settings


class ProviderUnavailable(SystemExit):
    """A provider setting this build cannot serve: the worker stops and says which."""

    def __init__(self, setting: str, value: str) -> None:
        super().__init__(f"not available: SITEGEN_{setting.upper()}={value}")


def make_storage(settings: Settings) -> Storage:
    if settings.storage_provider == "filesystem":
        from sitegen.integrations.storage.filesystem import FilesystemStorage

        return FilesystemStorage(settings.storage_root)
    if settings.storage_provider == "s3":
        from sitegen.integrations.storage.base import StorageMisconfigured
        from sitegen.integrations.storage.s3 import S3Storage

        try:
            return S3Storage.from_settings(settings)
        except StorageMisconfigured as exc:
            raise SystemExit(f"SITEGEN_STORAGE_PROVIDER=s3: {exc}") from None
    raise ProviderUnavailable("storage_provider", settings.storage_provider)


def make_git(settings: Settings) -> GitHost:
    if settings.git_provider == "local":
        from sitegen.integrations.git.local import LocalGit

        return LocalGit(settings.repos_root, settings.work_root / "git")
    if settings.git_provider == "github":
        from sitegen.integrations.git.github import GitHubGit

        token, org = settings.github_token, settings.github_org
        if token is None or not token.get_secret_value() or not org:
            raise SystemExit(
                "SITEGEN_GIT_PROVIDER=github needs SITEGEN_GITHUB_TOKEN and SITEGEN_GITHUB_ORG"
            )
        return GitHubGit(
            token.get_secret_value(), org, settings.work_root / "github",
            api_url=settings.github_api_url, template_repos=settings.github_template_repos,
        )  # fmt: skip
    raise ProviderUnavailable("git_provider", settings.git_provider)


def make_hosting(settings: Settings) -> Hosting:
    if settings.hosting_provider == "local":
        from sitegen.integrations.hosting.local import LocalHosting

        return LocalHosting(settings.sites_root, settings.addresses)
    if settings.hosting_provider == "cloudflare":
        from sitegen.integrations.hosting.cloudflare_hosting import (
            CloudflareMisconfigured,
            cloudflare_hosting_from_settings,
        )

        try:
            return cloudflare_hosting_from_settings(settings)
        except CloudflareMisconfigured as exc:
            raise SystemExit(f"SITEGEN_HOSTING_PROVIDER=cloudflare: {exc}") from None
    raise ProviderUnavailable("hosting_provider", settings.hosting_provider)


def make_ai(settings: Settings, ledger: AILedger | None = None) -> SiteAI:
    """`ledger`: where a paid AI charges its calls (the worker's is Postgres)."""
    if settings.ai_provider == "offline":
        from sitegen.integrations.ai.offline import OfflineAI

        return OfflineAI()
    if settings.ai_provider == "anthropic":
        # Stops the worker (SystemExit naming the setting) without a key or a model price.
        from sitegen.integrations.ai.claude import AnthropicAI

        return AnthropicAI(settings, ledger=ledger)
    raise ProviderUnavailable("ai_provider", settings.ai_provider)
