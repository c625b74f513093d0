"""LocalHosting: versioned, atomic static deploys on disk, served by ``server.py``.

Layout under ``sites_root``::

    {site}/deploys/{deploy_id}/...   immutable copy of one build (never modified after rename)
    {site}/current -> deploys/{id}   relative symlink, switched with os.replace
    {site}/meta/{deploy_id}.json     written last: its presence means "deploy finished"
    _hosts/{subdomain}.json          {"site": ...}; created with link() so claims never clash

Each step is atomic and the order makes retries safe: a crash before the directory rename leaves
only a temp dir (ignored, replaced on retry); a crash after it but before the meta file makes the
retry skip the copy and (re)activate; once the meta file exists the retry changes nothing, so an
old deploy_key replayed later can never roll ``current`` back.
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
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from sitegen.integrations.hosting.base import (
    DeployError,
    Deployment,
    SubdomainRecord,
    SubdomainTaken,
    validate_label,
)

log = structlog.get_logger()

HOSTS_DIR = "_hosts"


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

    def __init__(self, sites_root: Path, public_url: Callable[[str], str]) -> None:
        self.sites_root = Path(sites_root).resolve()
        self._public_url = public_url
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, site: str) -> asyncio.Lock:
        return self._locks.setdefault(site, asyncio.Lock())

    async def deploy(self, site: str, source_dir: Path, deploy_key: str) -> Deployment:
        validate_label(site)
        if not deploy_key:
            raise ValueError("deploy_key must not be empty")
        deploy_id = deploy_id_for(site, deploy_key)
        async with self._lock(site):
            created = await asyncio.to_thread(
                self._deploy_sync, site, Path(source_dir), deploy_key, deploy_id
            )
        log.info("hosting.deploy", site=site, deploy_id=deploy_id, created=created)
        return Deployment(site, deploy_id, self._public_url(site), created)

    def _deploy_sync(self, site: str, source: Path, key: str, deploy_id: str) -> bool:
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
        self._activate_sync(site_dir, deploy_id)
        _write_json_atomic(
            meta,
            {"deploy_id": deploy_id, "deploy_key": key, "files": files, "bytes": size,
             "activated_at": time.time()},
        )  # fmt: skip
        return True

    @staticmethod
    def _activate_sync(site_dir: Path, deploy_id: str) -> None:
        link = site_dir / "current"
        tmp = site_dir / f".current-{uuid.uuid4().hex}"
        os.symlink(f"deploys/{deploy_id}", tmp)
        try:
            os.replace(tmp, link)  # rename(2) over the old symlink: readers never see a gap
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    async def activate(self, site: str, deploy_id: str) -> None:
        """Point ``current`` at an existing deploy (operator rollback)."""
        validate_label(site)
        site_dir = self.sites_root / site
        if not deploy_id.startswith("d-") or "/" in deploy_id:
            raise DeployError(f"invalid deploy id {deploy_id!r}")
        if not await asyncio.to_thread((site_dir / "deploys" / deploy_id).is_dir):
            raise DeployError(f"deploy {deploy_id!r} not found for {site!r}")
        async with self._lock(site):
            await asyncio.to_thread(self._activate_sync, site_dir, deploy_id)

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
        validate_label(subdomain, "subdomain")
        created = await asyncio.to_thread(self._claim_sync, site, subdomain)
        url = self._public_url(subdomain)
        hostname = urlsplit(url).hostname or f"{subdomain}.localhost"
        log.info("hosting.subdomain", site=site, hostname=hostname, created=created)
        return SubdomainRecord(hostname, url, created)

    def _claim_sync(self, site: str, subdomain: str) -> bool:
        record = self.sites_root / HOSTS_DIR / f"{subdomain}.json"
        if subdomain != site and (self.sites_root / subdomain).is_dir():
            raise SubdomainTaken(f"{subdomain!r} is the name of another site")
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp = record.with_name(f".{subdomain}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps({"site": site}))
        try:
            os.link(tmp, record)  # atomic create-if-absent, across processes
            return True
        except FileExistsError:
            owner = json.loads(record.read_text()).get("site")
            if owner != site:
                raise SubdomainTaken(f"{subdomain!r} already points at another site") from None
            return False
        finally:
            tmp.unlink()
