"""Brand colours a site can carry text on: the theme writes near-black or white on its
brand colours, and a mid-tone (a terracotta, say) reads under WCAG's 4.5:1 with both. Such a
colour keeps its hue and deepens until white text reads on it, so the plan the client
confirms is one the build's contrast gate accepts."""

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
