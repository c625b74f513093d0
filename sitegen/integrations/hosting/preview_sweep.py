"""Removing a cancelled site's preview files for good, once nobody needs to look at them.

`take_down` stops a cancelled project's preview from serving but keeps every file, so the
agency can still see what was made; the periodic cleanup later removes those files with
`remove_preview`. What production serves is never removed. The meta file of each deploy
stays: it is what makes an old deploy key replayed later change nothing, so a removed deploy
never comes back.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Protocol

import structlog

from sitegen.integrations.hosting.base import validate_label
from sitegen.integrations.hosting.records import HOSTS_DIR, mark_taken_down, read_record
from sitegen.settings import Settings

log = structlog.get_logger()


class PreviewSweeper(Protocol):
    async def remove_preview(self, site: str) -> int:
        """Remove the site's preview deploys (production's stays); how many were removed,
        0 when none is left."""
        ...


class LocalPreviewSweeper:
    """For `LocalHosting`'s layout under `sites_root`."""

    def __init__(self, sites_root: Path) -> None:
        self.sites_root = Path(sites_root).resolve()

    async def remove_preview(self, site: str) -> int:
        validate_label(site)
        return await asyncio.to_thread(self._remove_sync, site)

    def _production_deploys(self, site: str) -> set[str]:
        kept: set[str] = set()
        for path in (self.sites_root / HOSTS_DIR).glob("*.json"):
            record = read_record(path)
            if record and record.site == site and record.production and record.deploy:
                kept.add(record.deploy)
        return kept

    def _remove_sync(self, site: str) -> int:
        site_dir = self.sites_root / site
        deploys = site_dir / "deploys"
        if not deploys.is_dir():
            return 0
        # Taken down first (already so, normally): a preview never serves a missing deploy.
        mark_taken_down(site_dir)
        (site_dir / "current").unlink(missing_ok=True)
        kept = self._production_deploys(site)
        removed = 0
        for entry in sorted(deploys.iterdir()):
            if entry.name in kept:
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed += not entry.exists()
        if removed:
            log.info("hosting.preview_removed", site=site, deploys=removed)
        return removed


def make_preview_sweeper(settings: Settings) -> PreviewSweeper | None:
    """None where the hosting keeps no files of ours to remove (Cloudflare Pages keeps its
    own deployments); the cleanup then reports the rule as skipped."""
    if settings.hosting_provider == "local":
        return LocalPreviewSweeper(settings.sites_root)
    return None
