"""Hostname records for LocalHosting, shared by the adapter (writes) and the server (reads).

Under ``{sites_root}/_hosts/``:

- ``{label}.json`` -> ``{"site": ...}``: a preview subdomain (the site's ``current`` deploy);
- ``{hostname}.json`` -> ``{"site": ..., "deploy": "d-..."}``: a version address, keyed by the
  full hostname without port (``harbour-physio--v3.localhost.json``), never changed once made;
- ``{hostname}.json`` -> ``{"site": ..., "deploy": "d-...", "production": true}``: a production
  address (``harbour-physio.live.localhost.json``), moved with ``os.replace``.

``{site}/taken-down.json`` marks a site whose preview and version addresses no longer serve.

Records are written to a temp file first and then linked (create-if-absent, atomic across
processes) or renamed into place, so a reader never sees half a record. A record that does not
parse is treated as absent by the server; writers refuse to overwrite it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sitegen.integrations.hosting.base import (
    DeployError,
    HostingError,
    InvalidSiteName,
    validate_label,
)

HOSTS_DIR = "_hosts"
TAKEN_DOWN = "taken-down.json"
_DEPLOY_ID_RE = re.compile(r"^d-[a-z0-9][a-z0-9-]{0,63}$")
_MAX_HOSTNAME = 253


@dataclass(frozen=True)
class HostRecord:
    site: str
    deploy: str | None = None  # None: the site's current deploy
    production: bool = False

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {"site": self.site}
        if self.deploy is not None:
            data["deploy"] = self.deploy
        if self.production:
            data["production"] = True
        return data


def validate_deploy_id(deploy_id: str) -> str:
    if not isinstance(deploy_id, str) or not _DEPLOY_ID_RE.fullmatch(deploy_id):
        raise DeployError(f"invalid deploy id {deploy_id!r}")
    return deploy_id


def validate_hostname(hostname: str) -> str:
    """Lowercase DNS labels joined by dots; the result is safe as a file name."""
    if len(hostname) > _MAX_HOSTNAME:
        raise InvalidSiteName(f"hostname {hostname[:40]!r}... is longer than {_MAX_HOSTNAME}")
    for label in hostname.split("."):
        validate_label(label, "hostname label")
    return hostname


def record_path(sites_root: Path, name: str) -> Path:
    """``name`` is a validated label or hostname, so it cannot leave ``_hosts``."""
    return sites_root / HOSTS_DIR / f"{name}.json"


def parse_record(text: str) -> HostRecord | None:
    """A well-formed record, or None: anything odd is ignored rather than trusted."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            return None
        site = data["site"]
        if not isinstance(site, str):
            return None
        validate_label(site)
        deploy = data.get("deploy")
        if deploy is not None:
            deploy = validate_deploy_id(deploy)
        production = data.get("production", False)
        if not isinstance(production, bool) or (production and deploy is None):
            return None
        return HostRecord(site, deploy, production)
    except (ValueError, KeyError, TypeError, HostingError):
        return None


def read_record(path: Path) -> HostRecord | None:
    try:
        return parse_record(path.read_text())
    except (OSError, UnicodeDecodeError):
        return None


def _temp_json(path: Path, data: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    return tmp


def create_record(path: Path, record: HostRecord) -> HostRecord | None:
    """Create ``path`` if absent (atomic across processes): None if made, else what is there.

    An existing record that does not parse raises: it is never silently replaced.
    """
    tmp = _temp_json(path, record.as_json())
    try:
        os.link(tmp, path)
        return None
    except FileExistsError:
        existing = read_record(path)
        if existing is None:
            raise HostingError(f"unreadable hostname record {path.name}; fix it by hand") from None
        return existing
    finally:
        tmp.unlink()


def replace_record(path: Path, record: HostRecord) -> None:
    tmp = _temp_json(path, record.as_json())
    try:
        os.replace(tmp, path)  # readers see the old record or the new one, never neither
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def mark_taken_down(site_dir: Path) -> bool:
    """Write the take-down marker if absent; True if this call wrote it."""
    marker = site_dir / TAKEN_DOWN
    tmp = _temp_json(marker, {"taken_down_at": time.time()})
    try:
        os.link(tmp, marker)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink()


def is_taken_down(site_dir: Path) -> bool:
    return (site_dir / TAKEN_DOWN).exists()
