"""Debian's Chromium as the build sandbox runs it: headless, offline, as the build user.

The pages it opens are the output of AI-written code, and a browser is a large attack
surface, so Chromium runs in the build sandbox (``BuildRunner``): bubblewrap with no network
at all, on a copy of the site in a scratch directory. Where no sandbox can run and
unsandboxed builds are allowed, the runner falls back to rlimits, and
``--host-resolver-rules`` still keeps the page from reaching any host. Every browser step
(screenshots, the rendered-contrast gate) starts from ``SandboxedChromium``; none of them
raises for a browser's failure: a missing, crashing or hanging Chromium is ``Skipped`` with
the reason.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sitegen.integrations.build.runner import BuildRunner

NOT_INSTALLED = "chromium not installed: apt install chromium"

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
UNBOUNDED_MB = 1 << 26  # 64 TiB
# Besides /usr: fonts for the text, and the settings the Debian launcher script reads.
READ_ONLY = (Path("/etc/fonts"), Path("/etc/chromium.d"), Path("/etc/chromium"))
MAX_FILE_BYTES = 32 * 1024 * 1024
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
class Skipped:
    """The browser step did not run, and why (shown to the operator as is)."""

    reason: str


@dataclass(frozen=True)
class Screenshot:
    size: ScreenSize
    png: bytes


class SandboxedChromium:
    def __init__(
        self,
        chromium: str | None,
        work_root: Path,
        *,
        timeout_seconds: float = 30,
        use_bwrap: bool | None = None,
    ) -> None:
        """``chromium``: a path or a name on PATH (None: not installed, "": turned off).
        ``timeout_seconds`` bounds one whole step (every page and size together)."""
        self.configured = chromium
        self.chromium = shutil.which(chromium) if chromium else None
        self.work_root = work_root
        self.timeout_seconds = timeout_seconds
        extra = [p for p in READ_ONLY if p.exists()]
        if self.chromium is not None:  # a Chromium outside /usr must be visible inside
            extra.append(Path(self.chromium).resolve().parent)
        self.runner = BuildRunner(
            timeout_seconds=max(1, math.ceil(timeout_seconds)),
            memory_mb=UNBOUNDED_MB,
            use_bwrap=use_bwrap,
            extra_ro_paths=extra,
        )

    def unavailable(self, turned_off: str) -> Skipped | None:
        """Why no browser can run here, or None when one can."""
        if self.chromium is not None:
            return None
        if self.configured == "":
            return Skipped(turned_off)
        if self.configured in (None, "chromium"):
            return Skipped(NOT_INSTALLED)
        return Skipped(f"{NOT_INSTALLED} (SITEGEN_CHROMIUM={self.configured!r} not found)")


def scratch_copy(work_root: Path, site: Path) -> Path:
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


def read_regular(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file of sane size. The sandbox could write
    anything there, a link to a secret included: a link is not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        return fh.read(MAX_FILE_BYTES)


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, or None if this is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def read_screenshot(path: Path, size: ScreenSize) -> Screenshot | Skipped:
    """The image the sandbox left at ``path``, if it is a regular file (a link is not
    followed) holding a PNG of exactly ``size``; otherwise why it is no screenshot. The one
    place that vouches for a screenshot's bytes, whichever browser step took it."""
    data = read_regular(path)
    if data is None:
        return Skipped(f"chromium wrote no {size.name} screenshot")
    got = png_size(data)
    if got != (size.width, size.height):
        return Skipped(f"the {size.name} screenshot is {got}, not {size.width}x{size.height}")
    return Screenshot(size, data)


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
