"""Screenshots of a built page by Debian's Chromium, and every way it can fail being a skip
with a reason (never an error, never a fake image)."""

from __future__ import annotations

import shutil
import time
import zlib
from pathlib import Path

import psutil
import pytest

from sitegen.integrations.browser.screenshots import (
    NOT_INSTALLED,
    TURNED_OFF,
    Screenshotter,
    Skipped,
    png_size,
)
from sitegen.settings import Settings

CONFIGURED = Settings().chromium
CHROMIUM = shutil.which(CONFIGURED) if CONFIGURED else None
# .ci/run installs it, so CI runs these; elsewhere they skip and say what to install.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason=f"{NOT_INSTALLED} (or set SITEGEN_CHROMIUM to its path)"
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shot</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="style.css">
<link rel="stylesheet" href="https://fonts.example.com/never.css">
</head><body><h1>Hello</h1><p>A page to photograph.</p></body></html>
"""


def site(root: Path) -> Path:
    """A two-file site whose background colour comes from its stylesheet."""
    root.mkdir(parents=True)
    (root / "index.html").write_text(PAGE)
    (root / "style.css").write_text("html, body { margin: 0; background: #ff0000; }\n")
    return root / "index.html"


def fake_chromium(tmp_path: Path, body: str) -> str:
    script = tmp_path / "bin" / "chromium"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def first_pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel's colour. Every PNG filter leaves the first pixel of the first
    row as it is (nothing lies left of or above it), so no unfiltering is needed."""
    chunks, at = b"", 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"IDAT":
            chunks += png[at + 8 : at + 8 + length]
        at += 12 + length
    assert png[24] == 8 and png[25] in (2, 6), "8-bit RGB or RGBA"
    row = zlib.decompressobj().decompress(chunks, 16)
    return row[1], row[2], row[3]


@needs_chromium
async def test_the_home_page_at_desktop_and_mobile_sizes(tmp_path: Path) -> None:
    browser = Screenshotter(CHROMIUM, tmp_path / "work")
    shots = await browser.capture(site(tmp_path / "site"))

    assert isinstance(shots, list), shots
    sizes = [(s.size.name, png_size(s.png)) for s in shots]
    assert sizes == [("desktop", (1280, 800)), ("mobile", (390, 844))]
    for shot in shots:
        # The page itself, its stylesheet applied: not a blank or an error page.
        assert first_pixel(shot.png) == (255, 0, 0), shot.size
    assert list((tmp_path / "work").iterdir()) == []  # the scratch copy is gone


async def test_missing_chromium_is_a_skip_that_says_what_to_install(tmp_path: Path) -> None:
    page = site(tmp_path / "site")
    assert await Screenshotter(None, tmp_path).capture(page) == Skipped(NOT_INSTALLED)
    assert NOT_INSTALLED == "chromium not installed: apt install chromium"
    elsewhere = await Screenshotter(str(tmp_path / "no-chromium"), tmp_path).capture(page)
    assert isinstance(elsewhere, Skipped)
    assert elsewhere.reason.startswith(NOT_INSTALLED) and "no-chromium" in elsewhere.reason
    assert await Screenshotter("", tmp_path).capture(page) == Skipped(TURNED_OFF)


async def test_a_crashing_chromium_is_a_skip_with_its_last_words(tmp_path: Path) -> None:
    chromium = fake_chromium(tmp_path, 'echo "cannot open display" >&2; exit 1')
    result = await Screenshotter(chromium, tmp_path / "work").capture(site(tmp_path / "site"))
    assert result == Skipped("chromium failed (exit 1): cannot open display")


async def test_a_hanging_chromium_is_stopped_and_skipped(tmp_path: Path) -> None:
    chromium = fake_chromium(tmp_path, "exec sleep 300")
    browser = Screenshotter(chromium, tmp_path / "work", timeout_seconds=1.5)
    started = time.monotonic()
    result = await browser.capture(site(tmp_path / "site"))
    assert result == Skipped("chromium took longer than 1.5 s")
    assert time.monotonic() - started < 15
    left = [p for p in psutil.process_iter(["cmdline"]) if chromium in (p.info["cmdline"] or [])]
    assert left == []  # killed, not abandoned


async def test_what_the_sandbox_leaves_is_read_only_if_it_is_a_real_png(tmp_path: Path) -> None:
    # A page that took over the browser could leave a link to a secret where the image goes:
    # it is not followed. And bytes that are not an image of the size asked for are no image.
    link = fake_chromium(
        tmp_path,
        'for a; do case "$a" in --screenshot=*) ln -s /etc/passwd "${a#--screenshot=}";; esac; done',
    )
    page = site(tmp_path / "site")
    result = await Screenshotter(link, tmp_path / "work").capture(page)
    assert result == Skipped("chromium wrote no desktop screenshot")
    (tmp_path / "bin" / "chromium").unlink()
    junk = fake_chromium(
        tmp_path,
        'for a; do case "$a" in --screenshot=*) echo junk > "${a#--screenshot=}";; esac; done',
    )
    result = await Screenshotter(junk, tmp_path / "work").capture(page)
    assert result == Skipped("the desktop screenshot is None, not 1280x800")


async def test_a_site_without_its_page_is_a_skip(tmp_path: Path) -> None:
    chromium = fake_chromium(tmp_path, "exit 0")
    result = await Screenshotter(chromium, tmp_path).capture(tmp_path / "dist" / "index.html")
    assert result == Skipped("the site has no index.html")


def test_png_size_reads_the_header_and_nothing_else() -> None:
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (1280).to_bytes(4, "big")
    assert png_size(header + (800).to_bytes(4, "big")) == (1280, 800)
    assert png_size(b"GIF89a" + b"\x00" * 30) is None
