"""The periodic cleanup's activities: one per rule, each idempotent (what is due is found
afresh every time, so a rerun removes nothing twice and something already gone is no error),
and the run's own record.

Build folders are this worker's own disk: on a deployment of several machines each
cleanup run sweeps the machine its activity lands on.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import timedelta
from pathlib import Path

import structlog
from temporalio import activity

from sitegen.activities.support import Sessions, classify
from sitegen.contracts.cleanup import FinishRunInput, RuleInput, RuleOutcome, StartRunInput
from sitegen.db import cleanup as queries
from sitegen.integrations.hosting.preview_sweep import PreviewSweeper

log = structlog.get_logger()


def _newest_mtime(path: Path) -> float:
    """When the entry, or anything directly in it, last changed: a build writing into a
    folder keeps it young."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for child in path.iterdir():
            try:
                newest = max(newest, child.lstat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


def remove_old_entries(work_root: Path, older_than: timedelta) -> int:
    """Remove every `{work_root}/{group}/{entry}` (a build's checkout, a deploy's staging, a
    browser's scratch copy) untouched for `older_than`; the groups themselves stay, since a
    build may be creating its folder in one right now."""
    if not work_root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for group in work_root.iterdir():
        if not group.is_dir() or group.is_symlink():
            continue
        for entry in list(group.iterdir()):
            try:
                if _newest_mtime(entry) >= cutoff:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:
                continue  # removed meanwhile: by an earlier attempt, or its own build
            removed += 1
    return removed


class CleanupActivities:
    def __init__(self, sessions: Sessions, sweeper: PreviewSweeper | None, work_root: Path) -> None:
        self.sessions = sessions
        self.sweeper = sweeper
        self.work_root = work_root

    @activity.defn
    async def start_cleanup_run(self, run: StartRunInput) -> None:
        try:
            await queries.start_run(self.sessions, run.run_key, run.rules)
        except Exception as exc:
            raise classify(exc) from exc

    @activity.defn
    async def finish_cleanup_run(self, run: FinishRunInput) -> None:
        try:
            await queries.finish_run(self.sessions, run.run_key, run.counts, run.errors)
        except Exception as exc:
            raise classify(exc) from exc

    @activity.defn
    async def remove_cancelled_previews(self, rule: RuleInput) -> RuleOutcome:
        """The preview files of projects cancelled more than the rule's days ago; counts the
        projects whose files this call removed."""
        if self.sweeper is None:
            log.info("cleanup.previews_not_swept", reason="the hosting keeps no local files")
            return RuleOutcome()
        try:
            sites = await queries.cancelled_sites(
                self.sessions, timedelta(days=rule.older_than_days)
            )
        except Exception as exc:
            raise classify(exc) from exc
        removed = 0
        for site in sites:
            activity.heartbeat(site)
            if await self.sweeper.remove_preview(site):
                removed += 1
        return RuleOutcome(removed=removed)

    @activity.defn
    async def remove_old_build_dirs(self, rule: RuleInput) -> RuleOutcome:
        removed = await asyncio.to_thread(
            remove_old_entries, self.work_root, timedelta(days=rule.older_than_days)
        )
        return RuleOutcome(removed=removed)

    @activity.defn
    async def remove_abandoned_conversations(self, rule: RuleInput) -> RuleOutcome:
        try:
            removed = await queries.delete_abandoned_conversations(
                self.sessions, timedelta(days=rule.older_than_days)
            )
        except Exception as exc:
            raise classify(exc) from exc
        return RuleOutcome(removed=removed)
