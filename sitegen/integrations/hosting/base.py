"""Hosting port: immutable, idempotent deploys of a built static site, plus subdomains.

``deploy`` is idempotent by ``deploy_key`` (the workflow id plus step, e.g. ``wf-1:deploy:r2``):
the deploy id is derived from the key, so a retry finds the deploy it already made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

# A DNS label: what a site name or subdomain must be so it works as `{name}.localhost`.
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class HostingError(Exception):
    """Base class for hosting failures."""


class InvalidSiteName(HostingError, ValueError):
    """Site names and subdomains must be lowercase DNS labels."""


class SubdomainTaken(HostingError):
    """The subdomain already points at another site. Not retryable."""


class DeployError(HostingError):
    """The source directory is unusable (missing, not a directory)."""


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
    created: bool


def validate_label(name: str, what: str = "site name") -> str:
    if not isinstance(name, str) or not _LABEL_RE.fullmatch(name):
        raise InvalidSiteName(f"invalid {what} {name!r}: use a lowercase DNS label [a-z0-9-]")
    return name


@runtime_checkable
class Hosting(Protocol):
    async def deploy(self, site: str, source_dir: Path, deploy_key: str) -> Deployment: ...

    async def ensure_subdomain(self, site: str, subdomain: str) -> SubdomainRecord: ...

    async def current(self, site: str) -> str | None:
        """The deploy id currently served for ``site``, or None if never deployed."""
        ...
