"""Hosting port: immutable, idempotent deploys of a built static site, plus its addresses.

``deploy`` is idempotent by ``deploy_key`` (the workflow id plus step, e.g. ``wf-1:deploy:r2``):
the deploy id is derived from the key, so a retry finds the deploy it already made.

Addresses (``SiteAddresses``), for a client subdomain ``label``:

- preview ``{scheme}://{label}.{preview_domain}:{port}/``: always the site's current deploy;
- version n ``{scheme}://{label}--v{n}.{preview_domain}:{port}/``: one deploy, forever. It is a
  single DNS label so one wildcard certificate covers every version, which is why client
  subdomains may not contain ``--``;
- production ``{scheme}://{label}.{production_domain}:{port}/``: the deploy chosen at delivery
  (a later delivery may move it).

``take_down`` stops the preview and version addresses of a site; production keeps serving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

# A DNS label: what a site name or subdomain must be so it works as `{name}.localhost`.
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HostingError(Exception):
    """Base class for hosting failures."""


class InvalidSiteName(HostingError, ValueError):
    """Site names and subdomains must be lowercase DNS labels."""


class SubdomainTaken(HostingError):
    """The subdomain (or a hostname made from it) belongs to another site. Not retryable."""


class DeployError(HostingError):
    """The source directory is unusable, or the deploy named does not exist."""


class VersionPinned(HostingError):
    """That version's address already serves another deploy: versions are immutable."""


@dataclass(frozen=True)
class Deployment:
    site: str
    deploy_id: str
    url: str
    created: bool


@dataclass(frozen=True)
class SubdomainRecord:
    hostname: str
    url: str
    # True when this call made the record or moved it; False when it already said the same.
    created: bool


def validate_label(name: str, what: str = "site name") -> str:
    if not isinstance(name, str) or not _LABEL_RE.fullmatch(name):
        raise InvalidSiteName(f"invalid {what} {name!r}: use a lowercase DNS label [a-z0-9-]")
    return name


def validate_subdomain(name: str) -> str:
    """A client subdomain: a DNS label without ``--`` (that marks version addresses)."""
    validate_label(name, "subdomain")
    if "--" in name:
        raise InvalidSiteName(f"invalid subdomain {name!r}: '--' is reserved for versions")
    return name


def _validate_domain(domain: str, what: str) -> None:
    labels = domain.split(".") if isinstance(domain, str) else [""]
    if not all(_LABEL_RE.fullmatch(label) for label in labels) or len(domain) > 200:
        raise ValueError(f"invalid {what} {domain!r}: lowercase DNS labels joined by dots")


@dataclass(frozen=True)
class SiteAddresses:
    """Where a site is served; see the module docstring for the scheme."""

    preview_domain: str = "localhost"
    production_domain: str = "live.localhost"
    port: int | None = 8080
    scheme: str = "http"

    def __post_init__(self) -> None:
        _validate_domain(self.preview_domain, "preview domain")
        _validate_domain(self.production_domain, "production domain")
        if self.preview_domain == self.production_domain:
            # `{label}.{domain}` would be both the preview and the production address.
            raise ValueError("preview and production domains must differ")
        if self.scheme not in _DEFAULT_PORTS:
            raise ValueError(f"unsupported scheme {self.scheme!r}")
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"invalid port {self.port!r}")

    # Hostnames (no port). Labels are not validated here: the adapter validates what it
    # stores, and templates such as preview("{slug}") must keep working.
    def preview_host(self, label: str) -> str:
        return f"{label}.{self.preview_domain}"

    def version_host(self, label: str, n: int) -> str:
        return f"{label}--v{n}.{self.preview_domain}"

    def production_host(self, label: str) -> str:
        return f"{label}.{self.production_domain}"

    def is_production_host(self, hostname: str) -> bool:
        return hostname.endswith(f".{self.production_domain}")

    def url(self, hostname: str) -> str:
        default = _DEFAULT_PORTS.get(self.scheme)
        netloc = hostname if self.port in (None, default) else f"{hostname}:{self.port}"
        return f"{self.scheme}://{netloc}/"

    def preview(self, label: str) -> str:
        return self.url(self.preview_host(label))

    def version(self, label: str, n: int) -> str:
        return self.url(self.version_host(label, n))

    def production(self, label: str) -> str:
        return self.url(self.production_host(label))

    @staticmethod
    def hostname(url: str) -> str:
        return urlsplit(url).hostname or ""


@runtime_checkable
class Hosting(Protocol):
    async def deploy(
        self, site: str, source_dir: Path, deploy_key: str, *, activate: bool = True
    ) -> Deployment:
        """Store a build as a new immutable deploy; ``activate`` makes it the preview."""
        ...

    async def ensure_subdomain(self, site: str, subdomain: str) -> SubdomainRecord: ...

    async def pin_version(
        self, site: str, subdomain: str, version: int, deploy_id: str
    ) -> SubdomainRecord:
        """The version address serves ``deploy_id`` forever (``VersionPinned`` if it can't)."""
        ...

    async def publish_production(
        self, site: str, subdomain: str, deploy_id: str
    ) -> SubdomainRecord:
        """The production address serves ``deploy_id`` (until a later publish moves it)."""
        ...

    async def activate(self, site: str, deploy_id: str) -> None:
        """Make an existing deploy the one the preview serves."""
        ...

    async def take_down(self, site: str) -> bool:
        """Preview and version addresses stop serving; production doesn't. True if changed."""
        ...

    async def current(self, site: str) -> str | None:
        """The deploy id currently served for ``site``, or None if never deployed."""
        ...

    def production_url(self, subdomain: str) -> str:
        """The address ``publish_production`` will serve the site at (known before the
        production build, which bakes it into canonical links and sitemap.xml)."""
        ...
