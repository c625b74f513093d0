"""A style guide from the spec's design tokens: the palette the built-in theme derives from
the client's colours (the same sums as the templates' `colours.py`), every text pair it uses
with its contrast, and the theme's type, spacing, radii, components and breakpoint.

The build's `theme/tokens.json` is written from the style guide, so what the client sees in
the guide is what the site is built with."""

from __future__ import annotations

from sitegen.contracts.design import (
    AA_LARGE,
    AA_TEXT,
    Breakpoint,
    ComponentStyle,
    ContrastPair,
    StyleGuide,
    Swatch,
    Token,
    TypeStep,
)
from sitegen.contracts.site import DesignTokens
from sitegen.design.colours import WHITE, contrast, ink, luminance, mix, on_colour

# The built-in theme's scale (templates/*/static/site.css); fluid sizes between two ends.
_TYPE = (
    ("display", "clamp(2.2rem, 5vw + 1rem, 3.75rem)", "heading", 700),
    ("title", "clamp(1.7rem, 2.5vw + 1rem, 2.5rem)", "heading", 700),
    ("subtitle", "1.25rem", "heading", 700),
    ("lead", "1.15rem", "body", 400),
    ("body", "1.0625rem", "body", 400),
    ("small", "0.95rem", "body", 400),
    ("eyebrow", "0.8rem", "body", 700),
)
_SPACING = (("xs", "0.5rem"), ("sm", "0.8rem"), ("md", "1.5rem"), ("lg", "2.5rem"), ("xl", "3rem"))
# The theme's one layout switch: narrower than this, columns stack and the menu wraps.
_BREAKPOINTS = (("mobile", "0rem"), ("wide", "52rem"))


def _brand(colour: str) -> str:
    """A brand colour near-black or white reads on, for buttons: as the theme makes it."""
    if contrast(colour, on_colour(colour)) >= AA_TEXT:
        return colour.lower()
    return ink(colour, WHITE)


def _band(colour: str) -> str:
    return ink(colour, WHITE) if luminance(colour) > 0.4 else colour


def style_guide(design: DesignTokens) -> StyleGuide:
    bg = design.background.lower()
    primary, secondary = _brand(design.primary), _brand(design.secondary)
    # Text sits on the page and on its tinted cards: it must read on the worst of them.
    surfaces = [bg, mix(design.text, bg, 0.03), mix(primary, bg, 0.08), mix(secondary, bg, 0.12)]
    worst = (min if luminance(bg) > 0.4 else max)(surfaces, key=luminance)
    text = design.text.lower()
    if contrast(text, worst) < AA_TEXT:
        text = on_colour(worst)
    roles = {
        "primary": (primary, "the client's primary colour, for buttons and bands"),
        "on-primary": (on_colour(primary), "text on the primary colour"),
        "primary-ink": (ink(primary, worst), "the primary colour as links and accents"),
        "secondary": (secondary, "the client's secondary colour"),
        "on-secondary": (on_colour(secondary), "text on the secondary colour"),
        "secondary-ink": (ink(secondary, worst), "the secondary colour as text"),
        "band": (_band(primary), "full-width bands of the primary colour"),
        "on-band": (on_colour(_band(primary)), "text on a band"),
        "background": (bg, "the page"),
        "surface": (surfaces[1], "cards and panels"),
        "tint": (surfaces[2], "tinted cards"),
        "text": (text, "body text, readable on every surface"),
        "muted": (ink(mix(text, bg, 0.7), worst), "secondary text"),
        "border": (mix(text, bg, 0.12), "dividers and card edges"),
        "focus": (ink(secondary, worst, AA_LARGE), "the keyboard focus ring"),
    }
    palette = [Swatch(role=role, hex=hex_, note=note) for role, (hex_, note) in roles.items()]

    def pair(fg: str, back: str, required: float = AA_TEXT) -> ContrastPair:
        ratio = round(contrast(roles[fg][0], roles[back][0]), 2)
        return ContrastPair(foreground=fg, background=back, ratio=ratio, required=required)

    pairs = [
        pair("text", "background"),
        pair("text", "surface"),
        pair("text", "tint"),
        pair("muted", "background"),
        pair("primary-ink", "background"),
        pair("secondary-ink", "background"),
        pair("on-primary", "primary"),
        pair("on-secondary", "secondary"),
        pair("on-band", "band"),
        pair("focus", "background", AA_LARGE),
    ]
    fonts = {"heading": design.heading_font, "body": design.body_font}
    r = design.radius_px
    return StyleGuide(
        palette=palette,
        pairs=pairs,
        typography=[
            TypeStep(name=name, size=size, font=fonts[family], weight=weight)
            for name, size, family, weight in _TYPE
        ],
        spacing=[Token(name=n, value=v) for n, v in _SPACING],
        radii=[
            Token(name="card", value=f"{r}px"),
            Token(name="feature", value=f"{r * 2}px"),
            Token(name="button", value="999px"),
        ],
        components=[
            ComponentStyle(
                component="button",
                background="primary",
                foreground="on-primary",
                radius="button",
                note="calls to action; one main action per section",
            ),
            ComponentStyle(
                component="card",
                background="surface",
                foreground="text",
                radius="card",
                note="services, plans and quotes",
            ),
            ComponentStyle(
                component="band",
                background="band",
                foreground="on-band",
                radius="card",
                note="the call-to-action band that closes a page",
            ),
            ComponentStyle(
                component="link",
                background="background",
                foreground="primary-ink",
                radius="card",
                note="links in text, underlined",
            ),
        ],
        breakpoints=[Breakpoint(name=n, min_width=w) for n, w in _BREAKPOINTS],
        brand=design,
    )


def theme_tokens(guide: StyleGuide) -> dict[str, object]:
    """`theme/tokens.json` for the built-in templates: the guide's brand colours, fonts and
    radius; the theme derives the rest of the palette from them as the guide shows."""
    brand = guide.brand
    return {
        "colors": {
            "primary": brand.primary,
            "secondary": brand.secondary,
            "background": brand.background,
            "text": brand.text,
        },
        "fonts": {"heading": brand.heading_font, "body": brand.body_font},
        "radius_px": brand.radius_px,
    }
