"""LocalHosting: versioned, atomic static deploys on disk, served by ``server.py``.

Layout under ``sites_root``::

    {site}/deploys/{deploy_id}/...   immutable copy of one build (never modified after rename)
    {site}/current -> deploys/{id}   relative symlink, switched with os.replace
    {site}/meta/{deploy_id}.json     written last: its presence means "deploy finished"
    {site}/taken-down.json           preview and version addresses answer 410 (take_down)
    _hosts/{subdomain}.json          {"site": ...}; created with link() so claims never clash
    _hosts/{hostname}.json           version and production addresses (see ``records.py``)

Addresses (``SiteAddresses``, defaults shown)::

    http://{subdomain}.localhost:8080/        preview: the site's ``current`` deploy
    http://{subdomain}--v{n}.localhost:8080/  version n: one deploy, forever
    http://{subdomain}.live.localhost:8080/   production: the deploy chosen at delivery

Each step is atomic and the order makes retries safe: a crash before the directory rename leaves
only a temp dir (ignored, removed by the retry); a crash after it but before the meta file makes the
retry skip the copy and (re)activate; once the meta file exists the retry changes nothing, so an
old deploy_key replayed later can never roll ``current`` back. ``activate=False`` stores a deploy
without touching ``current`` (the production build), and a retry never activates it later.

A subdomain belongs to one site: ``pin_version`` and ``publish_production`` claim it the way
``ensure_subdomain`` does (an atomic create-if-absent), so the version and production hostnames
made from it can never be taken by another site, even by a racing process. Nothing is ever
deleted: ``take_down`` only writes a marker, which later deploys leave in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import stat
import time
import uuid
from pathlib import Path

import structlog

from sitegen.integrations.hosting.base import (
    DeployError,
    Deployment,
    InvalidSiteName,
    SiteAddresses,
    SubdomainRecord,
    SubdomainTaken,
    VersionPinned,
    validate_label,
    validate_subdomain,
)
from sitegen.integrations.hosting.records import (
    HOSTS_DIR,
    HostRecord,
    create_record,
    mark_taken_down,
    record_path,
    replace_record,
    validate_deploy_id,
    validate_hostname,
)

log = structlog.get_logger()

__all__ = ["HOSTS_DIR", "LocalHosting", "deploy_id_for"]

# Making and renaming a link takes microseconds: one this old was left by a dead process.
STALE_LINK_SECONDS = 60


def deploy_id_for(site: str, deploy_key: str) -> str:
    return "d-" + hashlib.sha256(f"{site}\0{deploy_key}".encode()).hexdigest()[:20]


def _write_json_atomic(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)


def _copy_tree(src: Path, dest: Path) -> tuple[int, int]:
    """Copy regular files and directories only.

    Symlinks and special files in a build output are skipped: following them could publish
    files from outside the build (``ln -s /etc/passwd``), and keeping them would make the
    deploy depend on paths outside its folder.
    """
    files = size = 0
    dest.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                dirnames.remove(d)
                log.warning("hosting.skip_symlink", path=str(rel / d))
            else:
                (dest / rel / d).mkdir()
        for f in filenames:
            path = os.path.join(dirpath, f)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                log.warning("hosting.skip_non_regular", path=str(rel / f))
                continue
            shutil.copy2(path, dest / rel / f, follow_symlinks=False)
            files += 1
            size += st.st_size
    return files, size


class LocalHosting:
    """Local default for the Hosting port (``http://{site}.localhost:8080/``)."""

    def __init__(self, sites_root: Path, addresses: SiteAddresses) -> None:
        self.sites_root = Path(sites_root).resolve()
        self.addresses = addresses
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, site: str) -> asyncio.Lock:
        return self._locks.setdefault(site, asyncio.Lock())

    async def deploy(
        self, site: str, source_dir: Path, deploy_key: str, *, activate: bool = True
    ) -> Deployment:
        """Store a build; ``url`` is the site's preview, which serves it only if activated."""
        validate_label(site)
        if not deploy_key:
            raise ValueError("deploy_key must not be empty")
        deploy_id = deploy_id_for(site, deploy_key)
        async with self._lock(site):
            created = await asyncio.to_thread(
                self._deploy_sync, site, Path(source_dir), deploy_key, deploy_id, activate
            )
        log.info("hosting.deploy", site=site, deploy_id=deploy_id, created=created,
                 activate=activate)  # fmt: skip
        return Deployment(site, deploy_id, self.addresses.preview(site), created)

    def _deploy_sync(
        self, site: str, source: Path, key: str, deploy_id: str, activate: bool
    ) -> bool:
        site_dir = self.sites_root / site
        final = site_dir / "deploys" / deploy_id
        meta = site_dir / "meta" / f"{deploy_id}.json"
        if meta.is_file():
            return False  # finished earlier: change nothing
        if not final.is_dir():
            if not source.is_dir():
                raise DeployError(f"source directory {source} does not exist")
            if not (source / "index.html").is_file():
                log.warning("hosting.no_index_html", site=site, deploy_id=deploy_id)
            # A worker killed mid-copy cannot clean up after itself: its retry does.
            for leftover in final.parent.glob(f".tmp-{deploy_id}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            tmp = final.with_name(f".tmp-{deploy_id}-{uuid.uuid4().hex}")
            try:
                files, size = _copy_tree(source, tmp)
                try:
                    tmp.rename(final)
                except OSError:
                    if not final.is_dir():  # not "someone else finished first"
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        else:
            files = size = -1  # copied by an earlier attempt that then crashed
        if activate:
            self._activate_sync(site_dir, deploy_id)
        _write_json_atomic(
            meta,
            {"deploy_id": deploy_id, "deploy_key": key, "files": files, "bytes": size,
             "activated_at": time.time() if activate else None, "finished_at": time.time()},
        )  # fmt: skip
        return True

    @staticmethod
    def _activate_sync(site_dir: Path, deploy_id: str) -> None:
        link = site_dir / "current"
        # A link a killed worker made but never moved into place; an old one only, since
        # another worker process may be activating right now (the lock is per process).
        for leftover in site_dir.glob(".current-*"):
            with contextlib.suppress(FileNotFoundError):
                if time.time() - leftover.lstat().st_mtime > STALE_LINK_SECONDS:
                    leftover.unlink()
        tmp = site_dir / f".current-{uuid.uuid4().hex}"
        os.symlink(f"deploys/{deploy_id}", tmp)
        try:
            os.replace(tmp, link)  # rename(2) over the old symlink: readers never see a gap
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    def _require_deploy(self, site: str, deploy_id: str) -> None:
        if not (self.sites_root / site / "deploys" / validate_deploy_id(deploy_id)).is_dir():
            raise DeployError(f"deploy {deploy_id!r} not found for {site!r}")

    async def activate(self, site: str, deploy_id: str) -> None:
        """Point ``current`` at an existing deploy (operator rollback)."""
        validate_label(site)
        await asyncio.to_thread(self._require_deploy, site, deploy_id)
        async with self._lock(site):
            await asyncio.to_thread(self._activate_sync, self.sites_root / site, deploy_id)

    async def current(self, site: str) -> str | None:
        validate_label(site)
        link = self.sites_root / site / "current"
        try:
            target = await asyncio.to_thread(os.readlink, link)
        except OSError:  # missing, or not a symlink
            return None
        return Path(target).name

    async def ensure_subdomain(self, site: str, subdomain: str) -> SubdomainRecord:
        validate_label(site)
        validate_subdomain(subdomain)
        created = await asyncio.to_thread(self._claim_sync, site, subdomain)
        hostname = self.addresses.preview_host(subdomain)
        log.info("hosting.subdomain", site=site, hostname=hostname, created=created)
        return SubdomainRecord(hostname, self.addresses.preview(subdomain), created)

    def _claim_sync(self, site: str, subdomain: str) -> bool:
        if subdomain != site and (self.sites_root / subdomain).is_dir():
            raise SubdomainTaken(f"{subdomain!r} is the name of another site")
        existing = create_record(record_path(self.sites_root, subdomain), HostRecord(site))
        if existing is not None and existing.site != site:
            raise SubdomainTaken(f"{subdomain!r} already points at another site")
        return existing is None

    async def pin_version(
        self, site: str, subdomain: str, version: int, deploy_id: str
    ) -> SubdomainRecord:
        """``{subdomain}--v{version}`` serves ``deploy_id`` forever.

        Re-pinning the same deploy answers ``created=False``; another deploy raises
        ``VersionPinned``; an unknown deploy raises ``DeployError``.
        """
        validate_label(site)
        validate_subdomain(subdomain)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidSiteName(f"invalid version {version!r}: versions start at 1")
        validate_label(f"{subdomain}--v{version}", "version label")  # at most 63 characters
        hostname = validate_hostname(self.addresses.version_host(subdomain, version))
        validate_deploy_id(deploy_id)
        async with self._lock(site):
            created = await asyncio.to_thread(self._pin_sync, site, subdomain, hostname, deploy_id)
        log.info("hosting.pin_version", site=site, hostname=hostname, deploy_id=deploy_id,
                 created=created)  # fmt: skip
        return SubdomainRecord(hostname, self.addresses.version(subdomain, version), created)

    def _pin_sync(self, site: str, subdomain: str, hostname: str, deploy_id: str) -> bool:
        self._require_deploy(site, deploy_id)
        self._claim_sync(site, subdomain)
        path = record_path(self.sites_root, hostname)
        existing = create_record(path, HostRecord(site, deploy_id))
        if existing is None:
            return True
        if existing.site != site:
            raise SubdomainTaken(f"{hostname!r} belongs to another site")
        if existing.deploy != deploy_id or existing.production:
            raise VersionPinned(f"{hostname!r} already serves deploy {existing.deploy!r}")
        return False

    async def publish_production(
        self, site: str, subdomain: str, deploy_id: str
    ) -> SubdomainRecord:
        """``{subdomain}.{production_domain}`` serves ``deploy_id``; ``created`` if it moved."""
        validate_label(site)
        validate_subdomain(subdomain)
        hostname = validate_hostname(self.addresses.production_host(subdomain))
        validate_deploy_id(deploy_id)
        async with self._lock(site):
            created = await asyncio.to_thread(
                self._publish_sync, site, subdomain, hostname, deploy_id
            )
        log.info("hosting.publish_production", site=site, hostname=hostname,
                 deploy_id=deploy_id, created=created)  # fmt: skip
        return SubdomainRecord(hostname, self.addresses.production(subdomain), created)

    def _publish_sync(self, site: str, subdomain: str, hostname: str, deploy_id: str) -> bool:
        self._require_deploy(site, deploy_id)
        # The subdomain claim is the atomic ownership check: a racing site loses here.
        self._claim_sync(site, subdomain)
        path = record_path(self.sites_root, hostname)
        wanted = HostRecord(site, deploy_id, production=True)
        existing = create_record(path, wanted)
        if existing is None:
            return True
        if existing.site != site:
            raise SubdomainTaken(f"{hostname!r} belongs to another site")
        if existing == wanted:
            return False
        replace_record(path, wanted)
        return True

    def production_url(self, subdomain: str) -> str:
        return self.addresses.production(validate_label(subdomain, "subdomain"))

    async def take_down(self, site: str) -> bool:
        """Preview and version addresses answer 410; production and every file stay."""
        validate_label(site)
        site_dir = self.sites_root / site
        async with self._lock(site):
            changed = await asyncio.to_thread(
                lambda: site_dir.is_dir() and mark_taken_down(site_dir)
            )
        log.info("hosting.take_down", site=site, changed=changed)
        return changed
