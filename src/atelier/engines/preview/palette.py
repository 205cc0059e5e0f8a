"""Colours for the preview engine: the choice of a generation's palette."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.engines.base import RGB
from atelier.imaging.colors import hsv, luminance


@dataclass(frozen=True)
class Palette:
    """The colours a scene may use.

    ``explicit`` is set when the request named its colours: scenes then fill large areas with
    exactly those colours (no grading, little shading) so the image is visibly made of them.
    """

    background: RGB
    colors: tuple[RGB, ...]  # accents, most prominent first; never empty
    explicit: bool = False
    fixed_background: bool = False
    generated: bool = False  # derived from the prompt rather than given by request or style

    def color(self, index: int) -> RGB:
        return self.colors[index % len(self.colors)]

    @property
    def dark(self) -> RGB:
        return min((*self.colors, self.background), key=luminance)

    @property
    def light(self) -> RGB:
        return max((*self.colors, self.background), key=luminance)


# Per family: (saturation range, value range, background lightness) for generated palettes.
# Illustrations are saturated, logos and icons restrained, vector scenes in between.
_FAMILY_TONES: dict[str, tuple[tuple[float, float], tuple[float, float], float]] = {
    "realistic": ((0.25, 0.6), (0.35, 0.85), 0.92),
    "illustration": ((0.55, 0.85), (0.55, 0.95), 0.18),
    "logo": ((0.55, 0.8), (0.35, 0.7), 0.95),
    "vector": ((0.45, 0.75), (0.55, 0.95), 0.95),
    "icon": ((0.6, 0.85), (0.45, 0.8), 0.97),
}

# Where the accent sits relative to the base hue (turns): complementary, analogous, triadic...
_ACCENT_OFFSETS: tuple[float, ...] = (0.5, 0.08, 0.333, 0.58, -0.1, 0.42)


def generated_palette(family: str, digest: bytes) -> Palette:
    """A palette picked from prompt-hash bytes, toned for the style family.

    colors[0] is an accent (sun, badge, icon glyph); colors[1:] are a ramp of close hues from
    light to dark, which layered scenes use far to near, so depth reads naturally.
    """
    (s_lo, s_hi), (v_lo, v_hi), bg_level = _FAMILY_TONES[family]
    base_hue = int.from_bytes(digest[0:2], "big") / 65536.0
    accent_hue = base_hue + _ACCENT_OFFSETS[digest[2] % len(_ACCENT_OFFSETS)]
    drift = (digest[3] / 255.0 - 0.5) * 0.08  # hue step along the ramp
    jitter = [(b / 255.0 - 0.5) * 0.1 for b in digest[4:12]]
    # The accent is strong but not neon: full saturation at full value looks synthetic.
    colors = [hsv(accent_hue, s_lo + 0.75 * (s_hi - s_lo), v_hi)]
    for i in range(4):
        t = i / 3
        s = min(1.0, max(0.0, s_lo + (s_hi - s_lo) * t + jitter[i]))
        v = min(1.0, max(0.0, v_hi - (v_hi - v_lo) * t + jitter[i + 4]))
        colors.append(hsv(base_hue + drift * i, s, v))
    # Dark or light background tinted with the base hue; illustrations alternate the two.
    dark_bg = family == "illustration" and digest[13] % 2 == 0
    bg_v = bg_level if family != "illustration" else (0.16 if dark_bg else 0.95)
    background = hsv(base_hue, 0.35 if dark_bg else 0.06, bg_v)
    return Palette(background=background, colors=tuple(colors), generated=True)


def choose_palette(
    family: str,
    digest: bytes,
    colors: tuple[RGB, ...],
    background: RGB | None,
    style_palette: tuple[RGB, ...],
) -> Palette:
    """Explicit colours win, then the custom style's palette, then one derived from the prompt."""
    if colors:
        # Without a background colour the lightest requested colour serves as background so
        # that every large area of the image is one of the requested colours.
        bg = background if background is not None else max(colors, key=luminance)
        accents = tuple(c for c in colors if c != bg) or colors
        return Palette(bg, accents, explicit=True, fixed_background=background is not None)
    base = (
        Palette(max(style_palette, key=luminance), style_palette)
        if style_palette
        else generated_palette(family, digest)
    )
    if background is None:
        return base
    return Palette(background, base.colors, fixed_background=True, generated=base.generated)
