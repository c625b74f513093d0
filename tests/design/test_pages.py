"""The style guide and wireframe pages: self-contained, accessible, and escaping the
client's text (a business name or a page title is never markup)."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

from sitegen.contracts.design import StyleGuide
from sitegen.design.pages import style_guide_page, wireframe_page
from sitegen.design.style_guide import style_guide
from sitegen.design.wireframe import wireframe
from sitegen.settings import Settings
from tests.design.support import HOSTILE, plan


class Outline(HTMLParser):
    """What the checks read: headings, landmarks, tags, attributes and table rows' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.styles: list[str] = []
        self.rows: list[str] = []
        self.items: list[str] = []
        self.lang: str | None = None
        self.text: list[str] = []
        self._heading: int | None = None
        self._text: list[str] = []
        self._row: list[str] | None = None
        self._item: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if values.get("style"):
            self.styles.append(str(values["style"]))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading, self._text = int(tag[1]), []
        if tag == "tr":
            self._row = []
        if tag == "li":
            self._item.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag.startswith("h") and tag[1:].isdigit() and self._heading is not None:
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None
        if tag == "tr" and self._row is not None:
            self.rows.append(" ".join("".join(self._row).split()))
            self._row = None
        if tag == "li" and self._item:
            self.items.append(" ".join("".join(self._item.pop()).split()))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._text.append(data)
        if self._row is not None:
            self._row.append(data)
        for item in self._item:
            item.append(data)


def outline(page: str) -> Outline:
    parsed = Outline()
    parsed.feed(page)
    return parsed


def assert_self_contained_and_accessible(page: str) -> Outline:
    parsed = outline(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.lang == "en"
    assert parsed.tags.count("style") == 1
    # No script, nothing fetched: no scripts, links, images, frames, imports or urls.
    for tag in ("script", "link", "img", "iframe", "object", "embed", "form"):
        assert tag not in parsed.tags, tag
    for fetch in ("url(", "@import", "src=", "http://", "https://", "//fonts"):
        assert fetch not in page, fetch
    for landmark in ("header", "main", "footer", "nav"):
        assert parsed.tags.count(landmark) == 1, landmark
    levels = [level for level, _ in parsed.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    # Headings go down one level at a time (up any number).
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    return parsed


def _with_a_failing_pair(guide: StyleGuide) -> StyleGuide:
    pairs = [
        p.model_copy(update={"ratio": 2.1}) if i == 0 else p for i, p in enumerate(guide.pairs)
    ]
    return guide.model_copy(update={"pairs": pairs})


def test_style_guide_page_names_every_colour_and_pair(settings: Settings) -> None:
    site = plan(settings)
    guide = _with_a_failing_pair(style_guide(site.spec.design))
    page = style_guide_page(guide, project_name="Harbour Physio", version_label="version 3")
    parsed = assert_self_contained_and_accessible(page)
    assert ("version 3" in page) and ("Harbour Physio" in page)
    # Every swatch is labelled with its role and hex in words, beside the colour itself.
    for swatch in guide.palette:
        assert any(swatch.role in item and swatch.hex in item for item in parsed.items), swatch
        assert f"background-color: {swatch.hex}" in parsed.styles
    # Every pair is a table row with its ratio and "Passes" or "Fails" in words.
    pair_rows = [row for row in parsed.rows if ":1" in row]
    assert len(pair_rows) == len(guide.pairs)
    for pair, row in zip(guide.pairs, pair_rows, strict=True):
        assert row.startswith(pair.foreground)
        assert pair.background in row
        assert f"{pair.ratio:.2f}:1" in row
        assert row.endswith("Passes" if pair.passes else "Fails"), row
    assert [row.endswith("Fails") for row in pair_rows].count(True) == 1
    assert "1 fails" in page
    # Type samples in the client's own fonts, at the guide's sizes and weights.
    for step in guide.typography:
        assert any(
            f"font-family: {step.font}" in s and step.size in s and str(step.weight) in s
            for s in parsed.styles
        ), step
    # The rest of the guide, each under its own heading.
    titles = [text for level, text in parsed.headings if level == 2]
    assert titles == [
        "Palette",
        "Contrast",
        "Typography",
        "Spacing",
        "Corners",
        "Components",
        "Breakpoints",
    ]
    for token in [*guide.spacing, *guide.radii]:
        assert token.value in page
    for bp in guide.breakpoints:
        assert any(row.startswith(bp.name) and bp.min_width in row for row in parsed.rows)
    # The sample button uses the palette's own button colours.
    button = next(c for c in guide.components if c.component == "button")
    fg, bg = guide.colour(button.foreground), guide.colour(button.background)
    assert any(f"color: {fg}; background-color: {bg}" in s for s in parsed.styles)


def test_wireframe_page_lists_each_page_and_its_sections_in_order(settings: Settings) -> None:
    site = plan(settings)
    frame = wireframe(site.site_map, site.template)
    page = wireframe_page(frame, project_name="Harbour Physio", version_label="version 1")
    parsed = assert_self_contained_and_accessible(page)
    page_titles = [text for level, text in parsed.headings if level == 2]
    assert page_titles == [p.title for p in frame.pages]
    blocks = [text for level, text in parsed.headings if level == 4]
    expected = [f"{i}. {s.section}" for p in frame.pages for i, s in enumerate(p.sections, 1)]
    assert blocks == expected
    for p in frame.pages:
        assert p.path in page
        for i, s in enumerate(p.sections, 1):
            assert f"{i}. {s.section} {' '.join(s.purpose.split())}" in parsed.items


def test_hostile_text_is_escaped_everywhere(settings: Settings) -> None:
    site = plan(settings, name=HOSTILE)
    guide = style_guide(site.spec.design)
    frame = wireframe(site.site_map, site.template)
    pages_ = [p.model_copy(update={"title": HOSTILE}) for p in frame.pages]
    frame = frame.model_copy(update={"pages": pages_})
    for page in (
        style_guide_page(guide, project_name=HOSTILE, version_label="<b>v1</b>"),
        wireframe_page(frame, project_name=HOSTILE, version_label="<b>v1</b>"),
    ):
        assert "<script" not in page and "<b>" not in page
        assert "Tom &amp; Jerry&#39;s &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        parsed = assert_self_contained_and_accessible(page)
        # Read back as text, the name is exactly what the client wrote.
        assert HOSTILE in "".join(parsed.text)
