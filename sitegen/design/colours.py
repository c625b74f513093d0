"""Colour arithmetic for plans and style guides: WCAG contrast and readable companions.

The theme writes near-black or white on its brand colours, and a mid-tone (a terracotta, say)
reads under WCAG's 4.5:1 with both. Such a colour keeps its hue and deepens until white text
reads on it, so the plan the client confirms is one the build's contrast gate accepts. The
built-in templates do the same sums in their own `colours.py` (a template is a repository of
its own and cannot import sitegen); a style guide shows what they will make."""

from __future__ import annotations

import colorsys

AA = 4.5
WHITE, INK = "#ffffff", "#16181d"  # the theme's two text colours


def _rgb(colour: str) -> tuple[float, float, float]:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(colour: str) -> str:
    """`colour`, or the same hue deepened until white text reads on it."""
    if max(contrast(colour, WHITE), contrast(colour, INK)) >= AA:
        return colour.lower()
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(colour))
    candidate = colour
    while contrast(candidate, WHITE) < AA and lightness > 0:
        lightness = max(0.0, lightness - 0.02)
        candidate = _hex(colorsys.hls_to_rgb(h, lightness, s))
    return candidate


def on_colour(background: str) -> str:
    """Near-black or white, whichever reads better on `background`."""
    return INK if contrast(background, INK) >= contrast(background, WHITE) else WHITE


def ink(colour: str, background: str, target: float = AA) -> str:
    """Darken (or lighten, on dark backgrounds) `colour` until it reads as text."""
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(colour))
    step = -0.03 if luminance(background) > 0.4 else 0.03
    candidate = colour
    for _ in range(40):
        if contrast(candidate, background) >= target:
            return candidate
        lightness = max(0.0, min(1.0, lightness + step))
        candidate = _hex(colorsys.hls_to_rgb(h, lightness, s))
    return on_colour(background)


def mix(a: str, b: str, weight: float) -> str:
    (r1, g1, b1), (r2, g2, b2) = _rgb(a), _rgb(b)
    w = 1 - weight
    return _hex((r1 * weight + r2 * w, g1 * weight + g2 * w, b1 * weight + b2 * w))
