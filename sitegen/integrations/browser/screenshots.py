"""Screenshots of a built site's page, taken by Debian's Chromium, headless and offline.

The page is the output of AI-written code, and a browser is a large attack surface, so
Chromium runs in the build sandbox (``BuildRunner``): bubblewrap with no network at all, as
the build user when the worker is root, on a copy of the site in a scratch directory. Where
no sandbox can run and unsandboxed builds are allowed, the runner falls back to rlimits, and
``--host-resolver-rules`` still keeps the page from reaching any host.

One Chromium process per size, each with a fresh profile. Nothing here raises for a
browser's failure: a missing, crashing or hanging Chromium gives ``Skipped`` with the reason,
because a screenshot is a nicety and must never fail the build it illustrates.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from sitegen.integrations.build.runner import BuildRunner

log = structlog.get_logger()

NOT_INSTALLED = "chromium not installed: apt install chromium"
TURNED_OFF = "screenshots turned off (SITEGEN_CHROMIUM is empty)"

# Headless and quiet: no first-run UI, no calls home (updates, sync, field trials), no GPU
# (there is none in a sandbox), every host name unresolvable (the page is a local file and
# must not fetch anything), and one CSS pixel per image pixel.
FLAGS = (
    "--headless",
    "--no-sandbox",  # the bubblewrap sandbox around it is the sandbox; its own needs setuid
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
# Chromium reserves terabytes of address space for its heaps (V8's and Oilpan's cages), so
# an address-space limit only crashes it; the wall-clock timeout and CPU seconds bound it.
_UNBOUNDED_MB = 1 << 26  # 64 TiB
# Besides /usr: fonts for the text, and the settings the Debian launcher script reads.
_READ_ONLY = (Path("/etc/fonts"), Path("/etc/chromium.d"), Path("/etc/chromium"))
_MAX_PNG_BYTES = 32 * 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ScreenSize:
    name: str
    width: int
    height: int


DESKTOP = ScreenSize("desktop", 1280, 800)
MOBILE = ScreenSize("mobile", 390, 844)
DEFAULT_SIZES = (DESKTOP, MOBILE)


@dataclass(frozen=True)
class Screenshot:
    size: ScreenSize
    png: bytes


@dataclass(frozen=True)
class Skipped:
    """No screenshots, and why (shown to the operator as is)."""

    reason: str


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, or None if this is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


class Screenshotter:
    def __init__(
        self,
        chromium: str | None,
        work_root: Path,
        *,
        timeout_seconds: float = 30,
        use_bwrap: bool | None = None,
    ) -> None:
        """``chromium``: a path or a name on PATH (None: not installed, "": turned off).
        ``timeout_seconds`` bounds all the sizes of one capture together."""
        self.configured = chromium
        self.chromium = shutil.which(chromium) if chromium else None
        self.work_root = work_root
        self.timeout_seconds = timeout_seconds
        extra = [p for p in _READ_ONLY if p.exists()]
        if self.chromium is not None:  # a Chromium outside /usr must be visible inside
            extra.append(Path(self.chromium).resolve().parent)
        self.runner = BuildRunner(
            timeout_seconds=max(1, math.ceil(timeout_seconds)),
            memory_mb=_UNBOUNDED_MB,
            use_bwrap=use_bwrap,
            extra_ro_paths=extra,
        )

    async def capture(
        self, page: Path, sizes: Sequence[ScreenSize] = DEFAULT_SIZES
    ) -> list[Screenshot] | Skipped:
        """``page`` (an HTML file; its directory is the site) at each size, or why not."""
        if self.chromium is None:
            if self.configured == "":
                return Skipped(TURNED_OFF)
            if self.configured in (None, "chromium"):
                return Skipped(NOT_INSTALLED)
            return Skipped(f"{NOT_INSTALLED} (SITEGEN_CHROMIUM={self.configured!r} not found)")
        if not await asyncio.to_thread(page.is_file):
            return Skipped(f"the site has no {page.name}")
        if await asyncio.to_thread(page.parent.is_symlink):  # the build made it: no following
            return self._skip("the site's folder is a link")
        scratch: Path | None = None
        try:
            scratch = await asyncio.to_thread(_scratch, self.work_root, page.parent)
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
            last = _last_line(result.log.replace(str(scratch), "."))
            return self._skip(f"chromium failed (exit {result.exit_code}): {last}")
        data = await asyncio.to_thread(_read_regular, out)
        if data is None:
            return self._skip(f"chromium wrote no {size.name} screenshot")
        got = png_size(data)
        if got != (size.width, size.height):
            return self._skip(
                f"the {size.name} screenshot is {got}, not {size.width}x{size.height}"
            )
        return Screenshot(size, data)

    @staticmethod
    def _skip(reason: str) -> Skipped:
        log.warning("screenshots.skipped", reason=reason)
        return Skipped(reason)


def _scratch(work_root: Path, site: Path) -> Path:
    """A fresh directory with a copy of the site: the sandbox may write only there, and the
    build's own directory stays as the build left it."""
    work_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="shots-", dir=work_root))
    # Links stay links, unfollowed; a work root inside the site is not copied into itself.
    shutil.copytree(
        site,
        scratch / "site",
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if Path(folder, n) == scratch],
    )
    return scratch


def _read_regular(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file of sane size. The sandbox could write
    anything there, a link to a secret included: a link is not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_PNG_BYTES:
            return None
        return fh.read(_MAX_PNG_BYTES)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
