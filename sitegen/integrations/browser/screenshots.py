"""Screenshots of a built site's page, taken by Debian's Chromium in the build sandbox
(``chromium.SandboxedChromium``), headless and offline.

One Chromium process per size, each with a fresh profile. A build that passes the
rendered-contrast gate already has its pictures from that gate's one Chromium
(``contrast.py``); this is for the builds that did not run it. Nothing here raises for a
browser's failure: a missing, crashing or hanging Chromium gives ``Skipped`` with the reason,
because a screenshot is a nicety and must never fail the build it illustrates.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

import structlog

from sitegen.integrations.browser.chromium import (
    DEFAULT_SIZES,
    FLAGS,
    NOT_INSTALLED,
    SandboxedChromium,
    Screenshot,
    ScreenSize,
    Skipped,
    last_line,
    png_size,
    read_screenshot,
    scratch_copy,
)

log = structlog.get_logger()

__all__ = [
    "DEFAULT_SIZES",
    "NOT_INSTALLED",
    "ScreenSize",
    "Screenshot",
    "Screenshotter",
    "Skipped",
    "png_size",
]

TURNED_OFF = "screenshots turned off (SITEGEN_CHROMIUM is empty)"


class Screenshotter(SandboxedChromium):
    async def capture(
        self, page: Path, sizes: Sequence[ScreenSize] = DEFAULT_SIZES
    ) -> list[Screenshot] | Skipped:
        """``page`` (an HTML file; its directory is the site) at each size, or why not."""
        if (why := self.unavailable(TURNED_OFF)) is not None:
            return why
        if not await asyncio.to_thread(page.is_file):
            return Skipped(f"the site has no {page.name}")
        if await asyncio.to_thread(page.parent.is_symlink):  # the build made it: no following
            return self._skip("the site's folder is a link")
        scratch: Path | None = None
        try:
            scratch = await asyncio.to_thread(scratch_copy, self.work_root, page.parent)
            async with asyncio.timeout(self.timeout_seconds):
                shots: list[Screenshot] = []
                for size in sizes:
                    shot = await self._one(scratch, page.name, size)
                    if isinstance(shot, Skipped):
                        return shot
                    shots.append(shot)
                return shots
        except TimeoutError:
            return self._skip(f"chromium took longer than {self.timeout_seconds:g} s")
        except Exception as exc:  # the sandbox refused, a disk error: still only a skip
            log.warning("screenshots.error", error=type(exc).__name__, detail=str(exc)[:300])
            return Skipped(f"chromium could not run: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if scratch is not None:
                await asyncio.to_thread(shutil.rmtree, scratch, True)

    async def _one(self, scratch: Path, page: str, size: ScreenSize) -> Screenshot | Skipped:
        out = scratch / f"{size.name}.png"
        argv = [
            str(self.chromium),
            *FLAGS,
            f"--user-data-dir={scratch / f'profile-{size.name}'}",
            f"--screenshot={out}",
            f"--window-size={size.width},{size.height}",
            (scratch / "site" / page).as_uri(),
        ]
        result = await self.runner.run(scratch, argv)
        if result.timed_out:
            return self._skip(f"chromium took longer than {self.timeout_seconds:g} s")
        if not result.ok:
            last = last_line(result.log.replace(str(scratch), "."))
            return self._skip(f"chromium failed (exit {result.exit_code}): {last}")
        shot = await asyncio.to_thread(read_screenshot, out, size)
        return self._skip(shot.reason) if isinstance(shot, Skipped) else shot

    @staticmethod
    def _skip(reason: str) -> Skipped:
        log.warning("screenshots.skipped", reason=reason)
        return Skipped(reason)
