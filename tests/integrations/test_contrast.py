"""The rendered-contrast gate: text and focus rings measured as Chromium paints them
(opacity, parents' backgrounds, root-relative stylesheets), and every way the browser can
be missing or fail being a skip with a reason, never a pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen.contracts.findings import Finding
from sitegen.integrations.browser.contrast import (
    TURNED_OFF,
    ContrastChecker,
    ContrastReport,
    _Failure,
    _PageResult,
    ratio_text,
    to_findings,
)
from sitegen.integrations.browser.screenshots import NOT_INSTALLED, Skipped, png_size
from sitegen.settings import Settings
from tests.integrations.test_screenshots import first_pixel

CONFIGURED = Settings().chromium
CHROMIUM = shutil.which(CONFIGURED) if CONFIGURED else None
# .ci/run installs it, so CI runs these; elsewhere they skip and say what to install.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason=f"{NOT_INSTALLED} (or set SITEGEN_CHROMIUM to its path)"
)


def site(root: Path, body: str, css: str, page: str = "index.html") -> Path:
    """A one-page site; its stylesheet is linked root-relative, as a 404 page links it."""
    (root / page).parent.mkdir(parents=True, exist_ok=True)
    (root / page).write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Contrast</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/style.css"></head>'
        f"<body>{body}</body></html>\n"
    )
    (root / "style.css").write_text(
        "body { margin: 0; background: #fff; font-size: 16px; }\n" + css
    )
    return root


async def measure(tmp_path: Path, body: str, css: str = "") -> ContrastReport:
    report = await ContrastChecker(CHROMIUM, tmp_path / "work").check(
        site(tmp_path / "dist", body, css)
    )
    assert isinstance(report, ContrastReport), report
    assert list((tmp_path / "work").iterdir()) == []  # the scratch copy is gone
    return report


@needs_chromium
async def test_grey_on_white_passes_at_4_54_and_fails_at_4_48(tmp_path: Path) -> None:
    report = await measure(
        tmp_path,
        '<p class="ok">Quiet but readable</p><p class="ko">Just too faint</p>',
        ".ok { color: #767676; } .ko { color: #777777; }",
    )
    assert report.findings == [
        Finding(
            file="index.html",
            rule="contrast",
            message="'Just too faint' is 4.48:1 on #ffffff "
            "(needs 4.5:1; text #777777, desktop and mobile)",
        )
    ]
    assert report.checked == 4 and report.unchecked == 0  # two texts, two viewports


@needs_chromium
async def test_opacity_is_part_of_the_colour(tmp_path: Path) -> None:
    # #595959 is 7:1 on white; at 60 % opacity it renders as #9b9b9b, 2.7:1.
    report = await measure(
        tmp_path,
        '<p class="plain">Solid enough</p><div class="faded"><p class="plain">Faded away</p></div>',
        ".plain { color: #595959; } .faded { opacity: .6; }",
    )
    assert [(f.rule, f.message.split(" is ")[0]) for f in report.findings] == [
        ("contrast", "'Faded away'")
    ]
    assert "on #ffffff (needs 4.5:1; text #9b9b9b" in report.findings[0].message


@needs_chromium
async def test_light_text_on_a_dark_parent_passes(tmp_path: Path) -> None:
    report = await measure(
        tmp_path,
        '<section class="band"><h2>On the band</h2><p>Light text, no background of its own</p>'
        '</section><p class="under">Small print on a translucent band</p>',
        ".band { background: #222; color: #eee; padding: 1rem; }"
        ".under { background: rgba(0, 0, 0, .8); color: #fff; font-size: 12px; }",
    )
    assert report.findings == []
    assert report.checked == 6


@needs_chromium
async def test_a_faint_focus_ring_fails_and_a_dark_one_passes(tmp_path: Path) -> None:
    report = await measure(
        tmp_path,
        '<p><a class="faint" href="#a">Faint ring</a> and <a class="dark" href="#b">Dark ring</a>'
        "</p>",
        "a { color: #000; } :focus-visible { outline-offset: 2px; }"
        ".faint:focus-visible { outline: 3px solid #cccccc; }"
        ".dark:focus-visible { outline: 3px solid #595959; }",
    )
    assert report.findings == [
        Finding(
            file="index.html",
            rule="focus-contrast",
            message="'Faint ring' is 1.61:1 on #ffffff "
            "(needs 3:1; focus outline #cccccc, desktop and mobile)",
        )
    ]
    assert report.focus_checked == 4


@needs_chromium
async def test_a_skip_link_is_measured_as_it_shows_on_focus(tmp_path: Path) -> None:
    report = await measure(
        tmp_path,
        '<a class="skip" href="#main">Skip to content</a><main id="main"><p>Hi</p></main>',
        ".skip { position: absolute; left: -999px; color: #aaa; }"
        ".skip:focus { left: 0; outline: 2px solid #000; }",
    )
    assert [f.message.split(" (")[0] for f in report.findings] == [
        "'Skip to content' is 2.32:1 on #ffffff"
    ]


@needs_chromium
async def test_root_relative_styles_apply_to_pages_in_folders(tmp_path: Path) -> None:
    dist = site(tmp_path / "dist", "<p>Home</p>", ".faint { color: #aaa; }")
    site(dist, '<p class="faint">Lost page</p>', ".faint { color: #aaa; }", page="deep/404.html")
    report = await ContrastChecker(CHROMIUM, tmp_path / "work").check(dist)
    assert isinstance(report, ContrastReport), report
    assert report.pages == 2
    assert [(f.file, f.message.split(" (")[0]) for f in report.findings] == [
        ("deep/404.html", "'Lost page' is 2.32:1 on #ffffff")
    ]


@needs_chromium
async def test_text_over_an_image_is_unchecked_not_passed(tmp_path: Path) -> None:
    report = await measure(
        tmp_path,
        '<div class="photo"><p>Over a photo</p></div>',
        ".photo { background: #fff url(/photo.png); color: #ddd; }",
    )
    assert report.findings == [] and report.checked == 0 and report.unchecked == 2
    assert report.unchecked_samples == ["'Over a photo' (background unknown)"]


@needs_chromium
async def test_the_home_page_is_photographed_as_loaded_at_each_viewport(tmp_path: Path) -> None:
    # The script opens every <details> to measure what is in it; the picture is taken
    # before, as a visitor first sees the page: red, not the answer's blue.
    report = await measure(
        tmp_path,
        '<details><summary>Hours</summary><div class="answer">Open daily</div></details>',
        "body { background: #ff0000; color: #000; padding: 4rem; }"
        ".answer { position: fixed; top: 0; left: 0; background: #0000ff; color: #fff; }",
    )
    assert report.findings == [] and report.checked == 4  # the answer was measured, open
    shots = [(s.size.name, png_size(s.png), first_pixel(s.png)) for s in report.screenshots]
    assert shots == [
        ("desktop", (1280, 800), (255, 0, 0)),
        ("mobile", (390, 844), (255, 0, 0)),
    ]


async def test_missing_chromium_is_a_skip_that_says_what_to_install(tmp_path: Path) -> None:
    dist = site(tmp_path / "dist", "<p>Hi</p>", "")
    assert await ContrastChecker(None, tmp_path).check(dist) == Skipped(NOT_INSTALLED)
    elsewhere = await ContrastChecker(str(tmp_path / "no-chromium"), tmp_path).check(dist)
    assert isinstance(elsewhere, Skipped) and elsewhere.reason.startswith(NOT_INSTALLED)
    assert await ContrastChecker("", tmp_path).check(dist) == Skipped(TURNED_OFF)


def fake_chromium(tmp_path: Path, body: str) -> str:
    script = tmp_path / "bin" / "chromium"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


async def test_a_crashing_or_hanging_chromium_is_a_skip(tmp_path: Path) -> None:
    dist = site(tmp_path / "dist", "<p>Hi</p>", "")
    crash = fake_chromium(tmp_path, 'echo "cannot open display" >&2; exit 1')
    result = await ContrastChecker(crash, tmp_path / "work").check(dist)
    assert result == Skipped(
        "chromium failed (exit 1): RuntimeError: chromium closed the pipe (exit 1)"
    )
    (tmp_path / "bin" / "chromium").unlink()
    hang = fake_chromium(tmp_path, "exec sleep 300")
    result = await ContrastChecker(hang, tmp_path / "work", timeout_seconds=1.5).check(dist)
    assert result == Skipped("chromium took longer than 1.5 s")


def test_findings_merge_viewports_and_never_round_up_to_the_threshold() -> None:
    failure = _Failure(
        rule="contrast", text="Hi", need=4.5, ratio=4.4999, fg="#777777", bg="#ffffff"
    )
    ring = _Failure(rule="focus-contrast", text="Menu", missing=True)
    counts = dict(checked=1, unchecked=0, hidden=0, focus_checked=0, focus_unchecked=0)
    results = [
        _PageResult(page="a.html", viewport=name, failures=[failure, ring], **counts)
        for name in ("desktop", "mobile")
    ]
    assert [str(f) for f in to_findings(results)] == [
        "a.html: 'Hi' is 4.49:1 on #ffffff (needs 4.5:1; text #777777, desktop and mobile)"
        " [contrast]",
        "a.html: 'Menu' shows no focus indicator (desktop and mobile) [focus-contrast]",
    ]
    assert ratio_text(3.14159, 4.5) == "3.14" and ratio_text(2.999, 3) == "2.99"
