"""Small colour helpers every image module shares: mixing, brightness, contrast, hex."""

from __future__ import annotations

import colorsys

from atelier.engines.base import RGB


def clamp_rgb(r: float, g: float, b: float) -> RGB:
    return (
        max(0, min(255, round(r))),
        max(0, min(255, round(g))),
        max(0, min(255, round(b))),
    )


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` of the way towards ``b``."""
    return clamp_rgb(*(x + (y - x) * t for x, y in zip(a, b, strict=True)))


def lighten(c: RGB, t: float) -> RGB:
    return mix(c, (255, 255, 255), t)


def darken(c: RGB, t: float) -> RGB:
    return mix(c, (0, 0, 0), t)


def luminance(c: RGB) -> float:
    """Perceived brightness 0..1 (Rec. 601 weights; good enough to pick a contrasting colour)."""
    return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255.0


def hsv(h: float, s: float, v: float) -> RGB:
    return clamp_rgb(*(x * 255 for x in colorsys.hsv_to_rgb(h % 1.0, s, v)))


def to_hex(c: RGB) -> str:
    return f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}"


def contrasting(background: RGB, candidates: tuple[RGB, ...] = ()) -> RGB:
    """The candidate that stands out most against ``background``; near-black/white as fallback."""
    options = (*candidates, (20, 20, 24), (250, 250, 246))
    return max(options, key=lambda c: abs(luminance(c) - luminance(background)))
