"""The cleanup's file rules on their own: old build folders, and a cancelled site's preview
files (production's deploy and the deploys' records stay). No server needed."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

from sitegen.activities.cleanup import remove_old_entries
from sitegen.integrations.hosting.base import SiteAddresses
from sitegen.integrations.hosting.local import LocalHosting
from sitegen.integrations.hosting.preview_sweep import LocalPreviewSweeper

DAY = 86_400


def _age(path: Path, days: float) -> None:
    """Backdate `path` and everything directly in it."""
    stamp = time.time() - days * DAY
    for item in [*path.iterdir(), path] if path.is_dir() else [path]:
        os.utime(item, (stamp, stamp), follow_symlinks=False)


def _entry(root: Path, group: str, name: str, days: float) -> Path:
    entry = root / group / name
    entry.mkdir(parents=True)
    (entry / "index.html").write_text("<p>build</p>")
    _age(entry, days)
    return entry


def test_old_build_folders_go_young_ones_stay(tmp_path: Path) -> None:
    work = tmp_path / "work"
    old_build = _entry(work, "harbour-physio", "abc123-1", days=10)
    young_build = _entry(work, "harbour-physio", "def456-2", days=1)
    old_staging = _entry(work, "deploys", "harbour-physio-abc123-x1", days=8)
    # An old folder something wrote into today is in use: it stays.
    touched = _entry(work, "screenshots", "scratch-1", days=30)
    (touched / "shot.png").write_bytes(b"png")
    stray = work / "screenshots" / "note.txt"
    stray.write_text("left behind")
    _age(stray, 9)

    assert remove_old_entries(work, timedelta(days=7)) == 3
    assert not old_build.exists() and not old_staging.exists() and not stray.exists()
    assert young_build.is_dir() and touched.is_dir()
    # The groups stay: a build may be making its folder in one right now.
    assert (work / "harbour-physio").is_dir() and (work / "deploys").is_dir()
    # Again: nothing more to remove, and no error for what is already gone.
    assert remove_old_entries(work, timedelta(days=7)) == 0
    assert remove_old_entries(tmp_path / "missing", timedelta(days=7)) == 0


async def test_preview_files_of_a_site_go_production_stays(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    hosting = LocalHosting(sites, SiteAddresses(port=8080))
    build = tmp_path / "dist"
    build.mkdir()
    (build / "index.html").write_text("<h1>Padaria</h1>")
    first = await hosting.deploy("padaria", build, "site-padaria:deploy:r1")
    second = await hosting.deploy("padaria", build, "site-padaria:deploy:r2")
    live = await hosting.deploy("padaria", build, "site-padaria:prod", activate=False)
    await hosting.publish_production("padaria", "padaria", live.deploy_id)
    other = await hosting.deploy("bakery", build, "site-bakery:deploy:r1")

    sweeper = LocalPreviewSweeper(sites)
    assert await sweeper.remove_preview("padaria") == 2
    deploys = sites / "padaria" / "deploys"
    assert sorted(p.name for p in deploys.iterdir()) == [live.deploy_id]
    assert not (deploys / first.deploy_id).exists() and not (deploys / second.deploy_id).exists()
    # The preview is down, and a replay of an old deploy key changes nothing.
    assert (sites / "padaria" / "taken-down.json").is_file()
    assert await hosting.current("padaria") is None
    replay = await hosting.deploy("padaria", build, "site-padaria:deploy:r1")
    assert replay.created is False and not (deploys / first.deploy_id).exists()
    meta = json.loads((sites / "padaria" / "meta" / f"{first.deploy_id}.json").read_text())
    assert meta["deploy_id"] == first.deploy_id
    # Another site is untouched; a second sweep and an unknown site remove nothing.
    assert (sites / "bakery" / "deploys" / other.deploy_id).is_dir()
    assert await sweeper.remove_preview("padaria") == 0
    assert await sweeper.remove_preview("nobody") == 0
