"""The design chain's pure parts: style guides whose text pairs all read, wireframes the
layout must follow, and reverts that put one artifact back or say why they cannot."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegen.contracts.design import AA_TEXT, HistoryArtifact, Wireframe
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.site import DesignTokens, LayoutPlan, SiteContent, Sitemap, SiteSpec
from sitegen.design.colours import contrast
from sitegen.design.style_guide import style_guide, theme_tokens
from sitegen.design.wireframe import follows, wireframe, wireframe_from_layout
from sitegen.integrations.ai import OfflineAI, planning, reverts, site_files
from sitegen.templates_registry import TemplateManifest, load_template
from tests.conftest import example

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def tokens(
    primary: str, secondary: str, background: str = "#ffffff", text: str = "#1f2328"
) -> DesignTokens:
    return DesignTokens(
        primary=primary,
        secondary=secondary,
        background=background,
        text=text,
        heading_font="Georgia, serif",
        body_font="system-ui, sans-serif",
    )


def _hex(rng: random.Random) -> str:
    return "#" + "".join(f"{rng.randrange(256):02x}" for _ in range(3))


def test_every_pair_of_a_style_guide_reads_whatever_the_brand_colours() -> None:
    rng = random.Random(7)
    # Known hard cases first: a mid-tone orange-brown, a highlighter yellow, a pale mint.
    cases = [("#b0640c", "#ffd400"), ("#e8ff00", "#bff5dc"), ("#777777", "#888888")]
    cases += [(_hex(rng), _hex(rng)) for _ in range(200)]
    for primary, secondary in cases:
        guide = style_guide(tokens(primary, secondary))
        failing = [p for p in guide.pairs if not p.passes]
        assert not failing, (primary, secondary, failing)
        for pair in guide.pairs:  # the ratio shown is the real one
            real = contrast(guide.colour(pair.foreground), guide.colour(pair.background))
            assert abs(real - pair.ratio) < 0.01
    dark = style_guide(tokens("#3b82f6", "#f59e0b", background="#0d1117", text="#8b949e"))
    assert all(p.passes for p in dark.pairs)
    assert contrast(dark.colour("text"), dark.colour("background")) >= AA_TEXT


def test_the_theme_is_built_from_the_style_guide() -> None:
    design = tokens("#0f5e7a", "#e07a5f")
    guide = style_guide(design)
    assert guide.brand == design
    built = theme_tokens(guide)
    assert built["colors"] == {
        "primary": "#0f5e7a",
        "secondary": "#e07a5f",
        "background": "#ffffff",
        "text": "#1f2328",
    }
    assert built["radius_px"] == design.radius_px


@dataclass
class Site:
    spec: SiteSpec
    sitemap: Sitemap
    content: SiteContent
    layout: LayoutPlan
    template: TemplateManifest

    @property
    def files(self) -> dict[str, str]:
        return site_files.render(self.spec, self.content, self.layout)

    def revert(
        self, artifact: HistoryArtifact, restored: reverts.Restored | Sitemap, spec: SiteSpec
    ) -> reverts.SiteRevision:
        files = site_files.render(spec, self.content, self.layout)
        return reverts.revert(
            artifact,
            restored,
            f"{artifact.value} 1",
            spec,
            self.content,
            self.layout,
            files,
            self.template,
        )


async def _site() -> Site:
    template = load_template(TEMPLATES, "landing")
    ai = OfflineAI()
    spec = (
        await ai.site_spec(Onboarding.model_validate(example("harbour-physio")), template)
    ).artifact
    site_map = (await ai.sitemap(spec, template)).artifact
    pages = [(await ai.page_content(spec, p)).artifact for p in site_map.pages]
    layout = planning.layout_plan(spec, site_map, template)
    return Site(spec, site_map, SiteContent(pages=pages), layout, template)


def _reordered(frame: Wireframe) -> Wireframe:
    home = frame.pages[0]
    flipped = home.model_copy(update={"sections": list(reversed(home.sections))})
    return frame.model_copy(update={"pages": [flipped, *frame.pages[1:]]})


async def test_the_layout_must_follow_the_wireframe() -> None:
    site = await _site()
    frame = wireframe(site.sitemap, site.template)
    assert follows(site.layout, frame) == []
    assert all(s.purpose for p in frame.pages for s in p.sections)
    assert any("the wireframe plans" in p for p in follows(site.layout, _reordered(frame)))
    fewer = frame.model_copy(update={"pages": frame.pages[1:]})
    assert any("not in the wireframe" in p for p in follows(site.layout, fewer))
    titles = {p.page_id: p.title for p in frame.pages}
    assert wireframe_from_layout(site.layout, site.template, titles) == frame


async def test_reverts_put_one_artifact_back_or_say_why_not() -> None:
    site = await _site()
    design = site.spec.design.model_copy(update={"primary": "#1b2a4a"})
    navy = site.spec.model_copy(update={"design": design})

    # The first spec's style guide put back on the navy site: only the theme changes.
    back = site.revert(HistoryArtifact.STYLE_GUIDE, style_guide(site.spec.design), navy)
    assert back.accepted and back.patch is not None
    assert back.patch.paths == [site_files.TOKENS_FILE]
    assert back.spec.design == site.spec.design

    # A wireframe with the home page's sections reordered moves them, keeping variants.
    frame = wireframe(site.sitemap, site.template)
    moved = site.revert(HistoryArtifact.WIREFRAME, _reordered(frame), site.spec)
    assert moved.patch is not None and moved.patch.paths == ["content/pages/home.json"]
    assert moved.layout is not None
    home = moved.layout.pages[0]
    assert [s.section for s in home.sections] == [
        s.section for s in reversed(frame.pages[0].sections)
    ]
    variants = {s.section: s.variant for s in site.layout.pages[0].sections}
    assert all(variants[s.section] == s.variant for s in home.sections)

    # Copy that lacks a page the site has now cannot come back.
    short = site.content.model_copy(update={"pages": site.content.pages[:1]})
    with pytest.raises(reverts.RevertRefused, match="no copy for the page"):
        site.revert(HistoryArtifact.CONTENT, short, site.spec)
    # A wireframe placing a section the copy never had: refused, not a broken build.
    first = frame.pages[0]
    unwritten = next(
        s.id for s in site.template.sections if s.id not in {x.section for x in first.sections}
    )
    extra = first.model_copy(
        update={
            "sections": [
                *first.sections,
                first.sections[0].model_copy(update={"section": unwritten}),
            ]
        }
    )
    with pytest.raises(reverts.RevertRefused, match="no copy for"):
        site.revert(
            HistoryArtifact.WIREFRAME,
            frame.model_copy(update={"pages": [extra, *frame.pages[1:]]}),
            site.spec,
        )
    # The same as what is live: nothing to change.
    with pytest.raises(reverts.RevertRefused, match="already"):
        site.revert(HistoryArtifact.SPEC, site.spec, site.spec)
    # The sitemap is never put back on a built site.
    with pytest.raises(reverts.RevertRefused, match="roll back"):
        site.revert(HistoryArtifact.SITEMAP, site.sitemap, site.spec)
