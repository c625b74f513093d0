"""Colour contrast as Chromium renders a built site: every text against what is really behind
it (backgrounds with their alpha, opacity, overlays, gradients), and every focus ring.

Templates choose accessible colours by construction (``colours.py``), but only a browser
knows what a page looks like once its CSS cascades, so this gate measures it: each page at a
desktop and a phone viewport, scripts off, ``contrast.js`` doing the measuring inside the
page and ``contrast_driver.py`` speaking the DevTools protocol on a pipe. Both run in the
build sandbox, launched like the screenshots (``screenshots.py``): bubblewrap, no network,
the build user, a copy of the site in a scratch directory, one wall-clock bound for all.

WCAG 2 AA: text 4.5:1, large text (24 px, or 18.66 px bold) 3:1, a focus outline 3:1
against what surrounds it. Text over an image, a filter or more gradient combinations than
it tries is counted as unchecked, never as passing. A missing, crashing or hanging Chromium
gives ``Skipped`` with the reason (shown in the build report); nothing here is ever faked.

The same Chromium takes the preview screenshots: index.html at each viewport, right after it
loads and before the script moves the focus, so that a build launches one browser, not three.
They come back with the report; screenshots that are missing or wrong are only left out
(the build then takes them with ``screenshots.py``), never a reason to skip the gate.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog
from pydantic import BaseModel, Field, ValidationError

from sitegen.contracts.findings import Finding
from sitegen.integrations.browser.chromium import (
    DEFAULT_SIZES,
    FLAGS,
    SandboxedChromium,
    Screenshot,
    ScreenSize,
    Skipped,
    last_line,
    read_regular,
    read_screenshot,
    scratch_copy,
)

log = structlog.get_logger()

TURNED_OFF = "contrast gate turned off (SITEGEN_CHROMIUM is empty)"
# The template copies whose sites are held to it; older ones were made before it.
SINCE_TEMPLATE_VERSION = 3
_HERE = Path(__file__).parent
_DRIVER, _SCRIPT = "contrast_driver.py", "contrast.js"
# A site is a handful of pages; past this many, the rest would only eat the time budget.
_MAX_PAGES = 40
# The page the preview screenshots show.
SCREENSHOT_PAGE = "index.html"


class _Failure(BaseModel):
    """One failure as contrast.js reports it. The renderer ran AI-written pages without its
    own sandbox, so what comes back is validated like any untrusted input."""

    rule: Literal["contrast", "focus-contrast"]
    text: str = Field(max_length=200)
    need: float | None = None
    ratio: float | None = None
    fg: str | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    bg: str | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    missing: bool = False


class _PageResult(BaseModel):
    page: str
    viewport: str
    checked: int = Field(ge=0)
    unchecked: int = Field(ge=0)
    hidden: int = Field(ge=0)
    focus_checked: int = Field(ge=0)
    focus_unchecked: int = Field(ge=0)
    failures: list[_Failure] = Field(max_length=500)
    unchecked_samples: list[str] = Field(default_factory=list, max_length=10)


@dataclass
class ContrastReport:
    """What the gate measured: its findings fail the build like the static checks'."""

    findings: list[Finding]
    pages: int
    viewports: list[str]
    checked: int = 0
    unchecked: int = 0
    focus_checked: int = 0
    focus_unchecked: int = 0
    seconds: float = 0.0
    unchecked_samples: list[str] = field(default_factory=list)
    # index.html at each viewport as loaded, or none if the browser did not deliver them.
    screenshots: list[Screenshot] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """For the build report: how much was measured, and what could not be."""
        return {
            "pages": self.pages,
            "viewports": self.viewports,
            "texts_checked": self.checked,
            "texts_unchecked": self.unchecked,
            "focus_checked": self.focus_checked,
            "focus_unchecked": self.focus_unchecked,
            "unchecked_samples": self.unchecked_samples,
            "seconds": round(self.seconds, 3),
        }


def ratio_text(ratio: float, need: float) -> str:
    """Two decimals, never rounded up to the threshold it failed (4.499 is not "4.50")."""
    shown = f"{ratio:.2f}"
    return shown if float(shown) < need else f"{math.floor(ratio * 100) / 100:.2f}"


def to_findings(results: Sequence[_PageResult]) -> list[Finding]:
    """One finding per page, rule, text and colours, naming every viewport it failed at."""
    where: dict[tuple[str, ...], list[str]] = {}
    first: dict[tuple[str, ...], tuple[str, _Failure]] = {}
    for result in results:
        for failure in result.failures:
            key = (result.page, failure.rule, failure.text, str(failure.fg), str(failure.bg))
            first.setdefault(key, (result.page, failure))
            if result.viewport not in where.setdefault(key, []):
                where[key].append(result.viewport)
    findings = []
    for spot, (page, failure) in first.items():
        viewports = " and ".join(where[spot])
        if failure.missing or failure.ratio is None or failure.need is None:
            message = f"'{failure.text}' shows no focus indicator ({viewports})"
        else:
            need = f"{failure.need:g}"
            what = "focus outline" if failure.rule == "focus-contrast" else "text"
            message = (
                f"'{failure.text}' is {ratio_text(failure.ratio, failure.need)}:1 on "
                f"{failure.bg} (needs {need}:1; {what} {failure.fg}, {viewports})"
            )
        findings.append(Finding(file=page, rule=failure.rule, message=message))
    return findings


class ContrastChecker(SandboxedChromium):
    def __init__(
        self,
        chromium: str | None,
        work_root: Path,
        *,
        timeout_seconds: float = 30,
        use_bwrap: bool | None = None,
        sizes: Sequence[ScreenSize] = DEFAULT_SIZES,
    ) -> None:
        super().__init__(chromium, work_root, timeout_seconds=timeout_seconds, use_bwrap=use_bwrap)
        self.sizes = tuple(sizes)

    async def check(self, dist: Path) -> ContrastReport | Skipped:
        """Every page of the site ``dist`` at every size, or why it could not be measured."""
        if (why := self.unavailable(TURNED_OFF)) is not None:
            return why
        if await asyncio.to_thread(dist.is_symlink):  # the build made it: no following
            return _skip("the site's folder is a link")
        pages = await asyncio.to_thread(_pages, dist)
        if not pages:
            return Skipped("the site has no pages")
        started = time.monotonic()
        scratch: Path | None = None
        try:
            scratch = await asyncio.to_thread(_prepare, self.work_root, dist)
            job = {
                "argv": [
                    str(self.chromium),
                    *FLAGS,
                    "--remote-debugging-pipe",
                    f"--user-data-dir={scratch / 'profile'}",
                    "about:blank",
                ],
                "site": str(scratch / "site"),
                "pages": pages,
                # A phone-wide viewport is emulated as a phone: the viewport meta tag counts.
                "viewports": [
                    {
                        "name": s.name,
                        "width": s.width,
                        "height": s.height,
                        "mobile": s.width < 600,
                        "screenshot": str(_shot_path(scratch, s)),
                    }
                    for s in self.sizes
                ],
                "script": str(scratch / _SCRIPT),
                "screenshot_page": SCREENSHOT_PAGE,
            }
            await asyncio.to_thread((scratch / "job.json").write_text, json.dumps(job))
            argv = [sys.executable, "-I", "-S", str(scratch / _DRIVER), "job.json", "result.json"]
            result = await self.runner.run(scratch, argv)
            if result.timed_out:
                return _skip(f"chromium took longer than {self.timeout_seconds:g} s")
            if not result.ok:
                last = last_line(result.log.replace(str(scratch), "."))
                return _skip(f"chromium failed (exit {result.exit_code}): {last}")
            data = await asyncio.to_thread(read_regular, scratch / "result.json")
            if data is None:
                return _skip("chromium wrote no contrast results")
            try:
                results = [_PageResult.model_validate(r) for r in json.loads(data)]
            except (ValueError, TypeError, ValidationError) as exc:
                return _skip(f"the contrast results are unreadable: {str(exc)[:200]}")
            shots = await asyncio.to_thread(_screenshots, scratch, self.sizes, pages)
        except Exception as exc:  # the sandbox refused, a disk error: a skip that says so
            log.warning("contrast.error", error=type(exc).__name__, detail=str(exc)[:300])
            return Skipped(f"chromium could not run: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if scratch is not None:
                await asyncio.to_thread(shutil.rmtree, scratch, True)
        samples = [s for r in results for s in r.unchecked_samples]
        report = ContrastReport(
            findings=to_findings(results),
            pages=len(pages),
            viewports=[s.name for s in self.sizes],
            checked=sum(r.checked for r in results),
            unchecked=sum(r.unchecked for r in results),
            focus_checked=sum(r.focus_checked for r in results),
            focus_unchecked=sum(r.focus_unchecked for r in results),
            seconds=time.monotonic() - started,
            unchecked_samples=list(dict.fromkeys(samples))[:10],
            screenshots=shots,
        )
        log.info("contrast.measured", **report.summary(), findings=len(report.findings))
        return report


def _pages(dist: Path) -> list[str]:
    """The site's HTML pages (regular files, not links), relative to it."""
    found = [
        p.relative_to(dist).as_posix()
        for p in sorted(dist.rglob("*.html"))
        if p.is_file() and not p.is_symlink()
    ]
    return found[:_MAX_PAGES]


def _prepare(work_root: Path, dist: Path) -> Path:
    """The scratch copy of the site, with the driver and the script beside it: the sandbox
    sees the scratch directory and the Python install, not this package."""
    scratch = scratch_copy(work_root, dist)
    for name in (_DRIVER, _SCRIPT):
        shutil.copyfile(_HERE / name, scratch / name)
    return scratch


def _shot_path(scratch: Path, size: ScreenSize) -> Path:
    return scratch / f"screenshot-{size.name}.png"


def _screenshots(scratch: Path, sizes: Sequence[ScreenSize], pages: list[str]) -> list[Screenshot]:
    """The driver's pictures of index.html, every size a checked PNG, or none at all."""
    if SCREENSHOT_PAGE not in pages:
        return []
    shots = []
    for size in sizes:
        shot = read_screenshot(_shot_path(scratch, size), size)
        if isinstance(shot, Skipped):
            log.warning("contrast.no_screenshots", reason=shot.reason)
            return []
        shots.append(shot)
    return shots


def _skip(reason: str) -> Skipped:
    log.warning("contrast.skipped", reason=reason)
    return Skipped(reason)
