"""Colour arithmetic for the theme: WCAG contrast and readable ink on any background."""

from __future__ import annotations

import colorsys


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def on_colour(bg: str) -> str:
    """Near-black or white, whichever reads better on `bg`."""
    dark, light = "#16181d", "#ffffff"
    return dark if contrast(bg, dark) >= contrast(bg, light) else light


def ink(colour: str, background: str, target: float = 4.5) -> str:
    """Darken (or lighten, on dark backgrounds) `colour` until it is readable as text."""
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(colour))
    step = -0.03 if luminance(background) > 0.4 else 0.03
    candidate = colour
    for _ in range(40):
        if contrast(candidate, background) >= target:
            return candidate
        lightness = max(0.0, min(1.0, lightness + step))
        candidate = _hex(colorsys.hls_to_rgb(h, lightness, s))
    # A pale brand colour on a pale background: plain text colour is the honest answer.
    return on_colour(background)


def readable(colour: str, target: float = 4.5) -> str:
    """A brand colour that near-black or white text reads on, for buttons and links: a
    mid-tone that neither reads on (an orange-brown gives white 4.49:1) deepens, its hue
    kept."""
    if contrast(colour, on_colour(colour)) >= target:
        return colour
    return ink(colour, "#ffffff", target)


def mix(a: str, b: str, weight: float) -> str:
    (r1, g1, b1), (r2, g2, b2) = _rgb(a), _rgb(b)
    w = 1 - weight
    return _hex((r1 * weight + r2 * w, g1 * weight + g2 * w, b1 * weight + b2 * w))


def band(colour: str) -> str:
    """A brand colour for a full-width band of text: a bright one (a yellow, a mint) keeps its
    hue but deepens until white text reads on it, so it is an accent, not a highlighter."""
    return ink(colour, "#ffffff") if luminance(colour) > 0.4 else colour
