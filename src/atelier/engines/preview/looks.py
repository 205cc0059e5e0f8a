"""Substyles as data: each substyle maps to a ``Look`` of effects; raster looks applied here."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageChops, ImageFilter, ImageOps

from atelier.engines.base import RGB


@dataclass(frozen=True)
class Look:
    """What a substyle changes. The defaults change nothing."""

    saturation: float = 1.0
    contrast: float = 1.0
    brightness: float = 1.0
    warmth: float = 0.0  # >0 shifts towards orange, <0 towards blue
    fade: float = 0.0  # lifts shadows towards cream: faded film, pastel
    grain: float = 0.0  # extra film grain, 0..1
    vignette: float = 0.0
    glow: float = 0.0  # bloom around bright areas
    soften: float = 0.0  # overall softness (watercolour, dreamy)
    motion_blur: float = 0.0  # horizontal streak length as a fraction of the width
    pixelate: int = 0  # block size in pixels at 1024 px
    posterize: int = 0  # bits kept per channel
    hatch: float = 0.0  # engraving lines modulated by brightness
    halftone: float = 0.0  # pop-art dot screen
    outline: float = 1.0  # outline width multiplier for shapes that have one
    strokes_only: bool = False  # line art: outlines without fills
    dashed: bool = False
    gradient: bool = False  # gradient fills in flat (vector) styles
    offset_fill: bool = False  # fills shifted off their outlines (icon offset styles)
    wobble: float = 0.0  # hand-drawn jitter of outlines
    shadow: float = 0.0  # drop / long shadows under shapes
    mono: bool = False  # single-ink styles (stamps, pictograms)
    studio: bool = False  # realistic: studio backdrop instead of a landscape
    motifs: tuple[str, ...] = ()  # scene elements the substyle implies

    def without_grading(self) -> Look:
        """The look minus everything that recolours: used when the request fixed its colours."""
        return replace(
            self,
            saturation=1.0,
            contrast=1.0,
            brightness=1.0,
            warmth=0.0,
            fade=0.0,
            vignette=0.0,
            glow=0.0,
            mono=False,
        )


_L = Look
SUBSTYLE_LOOKS: dict[str, Look] = {
    # realistic_image
    "b_and_w": _L(saturation=0.0, contrast=1.15),
    "enterprise": _L(saturation=0.8, brightness=1.05, warmth=-0.25, motifs=("city",)),
    "evening_light": _L(warmth=0.6, brightness=0.92, glow=0.3, motifs=("sunset",)),
    "faded_nostalgia": _L(fade=0.25, saturation=0.7, warmth=0.2, grain=0.4),
    "forest_life": _L(saturation=1.1, warmth=-0.1, motifs=("forest",)),
    "hard_flash": _L(contrast=1.3, brightness=1.08, vignette=0.5),
    "hdr": _L(contrast=1.3, saturation=1.35),
    "motion_blur": _L(motion_blur=0.05),
    "mystic_naturalism": _L(fade=0.1, glow=0.4, warmth=-0.3, motifs=("mist",)),
    "natural_light": _L(brightness=1.04),
    "natural_tones": _L(saturation=0.8, warmth=0.1),
    "organic_calm": _L(saturation=0.75, fade=0.1, soften=0.4),
    "real_life_glow": _L(glow=0.5, warmth=0.2),
    "retro_realism": _L(saturation=0.8, warmth=0.3, grain=0.5, fade=0.15),
    "retro_snapshot": _L(fade=0.2, warmth=0.35, vignette=0.4, grain=0.4),
    "studio_portrait": _L(studio=True, vignette=0.3),
    "urban_drama": _L(contrast=1.3, saturation=0.6, warmth=-0.3, vignette=0.5, motifs=("city",)),
    "village_realism": _L(warmth=0.2, motifs=("forest",)),
    "warm_folk": _L(warmth=0.5, saturation=0.9),
    # digital_illustration
    "2d_art_poster": _L(posterize=3, outline=1.2),
    "2d_art_poster_2": _L(posterize=3, saturation=1.2),
    "3d": _L(shadow=0.6, glow=0.2),
    "80s": _L(glow=0.5, warmth=-0.2, saturation=1.3, motifs=("sunset",)),
    "antiquarian": _L(fade=0.3, warmth=0.4, hatch=0.35, saturation=0.5),
    "bold_fantasy": _L(saturation=1.3, glow=0.3),
    "child_book": _L(fade=0.15, wobble=0.3, outline=0.7),
    "cover": _L(contrast=1.1, vignette=0.3),
    "crosshatch": _L(hatch=0.8, saturation=0.3),
    "digital_engraving": _L(hatch=0.9, saturation=0.0),
    "engraving_color": _L(hatch=0.6),
    "expressionism": _L(saturation=1.4, contrast=1.2, wobble=0.6),
    "freehand_details": _L(wobble=0.4, outline=1.2),
    "glow": _L(glow=0.6),
    "grain": _L(grain=0.7),
    "grain_20": _L(grain=0.35),
    "graphic_intensity": _L(contrast=1.4, saturation=1.3, outline=1.6),
    "hand_drawn": _L(wobble=0.5, outline=1.1),
    "hand_drawn_outline": _L(wobble=0.5, outline=1.6),
    "handmade_3d": _L(shadow=0.5, soften=0.3),
    "hard_comics": _L(outline=2.0, halftone=0.5, contrast=1.2),
    "infantile_sketch": _L(wobble=1.0, strokes_only=True, fade=0.2),
    "kawaii": _L(fade=0.25, saturation=1.1, outline=1.2),
    "long_shadow": _L(shadow=1.0),
    "modern_folk": _L(saturation=1.1, warmth=0.2, outline=1.3),
    "multicolor": _L(saturation=1.3),
    "neon_calm": _L(glow=0.6, brightness=0.85),
    "noir": _L(saturation=0.0, contrast=1.5, vignette=0.6),
    "nostalgic_pastel": _L(fade=0.3, saturation=0.7),
    "outline_details": _L(outline=1.6),
    "pastel_gradient": _L(fade=0.35, gradient=True),
    "pastel_sketch": _L(fade=0.35, hatch=0.2),
    "pixel_art": _L(pixelate=16, posterize=4),
    "plastic": _L(glow=0.2, contrast=1.1, shadow=0.3),
    "pop_art": _L(halftone=0.7, saturation=1.4, outline=1.5),
    "seamless": _L(),  # a tileable pattern in the real service; previews keep the plain scene
    "pop_renaissance": _L(warmth=0.3, hatch=0.2),
    "psychedelic": _L(saturation=1.6, contrast=1.2),
    "street_art": _L(saturation=1.3, contrast=1.2, grain=0.3),
    "tablet_sketch": _L(wobble=0.4, strokes_only=True),
    "urban_glow": _L(glow=0.5, motifs=("city",)),
    "urban_sketching": _L(strokes_only=True, wobble=0.3, hatch=0.3, motifs=("city",)),
    "voxel": _L(pixelate=32, shadow=0.3),
    "watercolor": _L(fade=0.2, wobble=0.4, soften=0.8),
    "young_adult_book": _L(saturation=1.1),
    "young_adult_book_2": _L(fade=0.1, warmth=0.1),
    # vector_illustration
    "bold_stroke": _L(outline=2.2),
    "cartoon": _L(outline=1.4),
    "chemistry": _L(strokes_only=True, outline=0.8),
    "colored_stencil": _L(saturation=1.2),
    "cosmics": _L(motifs=("night",)),
    "cutout": _L(shadow=0.5),
    "depressive": _L(saturation=0.3, brightness=0.8),
    "doodle_line_art": _L(strokes_only=True, wobble=0.6),
    "editorial": _L(saturation=0.8),
    "emotional_flat": _L(saturation=1.1),
    "engraving": _L(strokes_only=True, outline=0.6, mono=True),
    "flat_2": _L(),
    "line_art": _L(strokes_only=True),
    "line_circuit": _L(strokes_only=True, dashed=True),
    "linocut": _L(mono=True, contrast=1.3),
    "marker_outline": _L(outline=1.6, wobble=0.3),
    "mosaic": _L(saturation=1.2, outline=0.6),
    "naivector": _L(wobble=0.5),
    "roundish_flat": _L(),
    "segmented_colors": _L(outline=0.6),
    "sharp_contrast": _L(contrast=1.4),
    "thin": _L(strokes_only=True, outline=0.5),
    "vector_photo": _L(gradient=True),
    "vivid_shapes": _L(saturation=1.3),
    # icon
    "broken_line": _L(strokes_only=True, dashed=True),
    "colored_outline": _L(strokes_only=True),
    "colored_shapes": _L(),
    "colored_shapes_gradient": _L(gradient=True),
    "doodle_fill": _L(wobble=0.5),
    "doodle_offset_fill": _L(wobble=0.5, offset_fill=True),
    "offset_fill": _L(offset_fill=True),
    "outline": _L(strokes_only=True, mono=True),
    "outline_gradient": _L(strokes_only=True, gradient=True),
    "pictogram": _L(mono=True),
    # logo_raster
    "emblem_graffiti": _L(wobble=0.5, saturation=1.3, outline=1.4),
    "emblem_pop_art": _L(halftone=0.5, outline=1.5, saturation=1.3),
    "emblem_punk": _L(contrast=1.3, grain=0.5, wobble=0.3),
    "emblem_stamp": _L(mono=True, grain=0.6),
    "emblem_vintage": _L(fade=0.3, warmth=0.3, grain=0.2),
}

# Negative-prompt words and how they adjust the look (element words are handled by the scene).
_NEGATIVE_ADJUSTMENTS: dict[str, dict[str, float]] = {
    "color": {"saturation": 0.35},
    "colour": {"saturation": 0.35},
    "colorful": {"saturation": 0.35},
    "colourful": {"saturation": 0.35},
    "saturated": {"saturation": 0.5},
    "vibrant": {"saturation": 0.5},
    "bright": {"brightness": 0.88},
    "dark": {"brightness": 1.1},
    "contrast": {"contrast": 0.8},
    "grain": {"grain": 0.0},
    "noise": {"grain": 0.0},
    "blur": {"motion_blur": 0.0, "soften": 0.0},
    "blurry": {"motion_blur": 0.0, "soften": 0.0},
}


_MULTIPLICATIVE = frozenset({"saturation", "brightness", "contrast"})


def look_for(substyle: str | None, negative_words: frozenset[str]) -> Look:
    """The substyle's look (unknown substyles change nothing), adjusted by the negative prompt."""
    look = SUBSTYLE_LOOKS.get(substyle or "", Look())
    for word in sorted(negative_words & _NEGATIVE_ADJUSTMENTS.keys()):
        changes: dict[str, float] = {}
        for attr, factor in _NEGATIVE_ADJUSTMENTS[word].items():
            current = getattr(look, attr)
            # Multiplicative attributes scale; additive effects (grain, blur) are switched off.
            changes[attr] = current * factor if attr in _MULTIPLICATIVE else factor
        look = replace(look, **changes)  # type: ignore[arg-type]
    return look


def grade_matrix(look: Look) -> tuple[float, ...]:
    """Saturation, contrast, brightness, warmth and fade folded into one affine RGB matrix.

    All of them are affine per pixel, so a single ``Image.convert("RGB", matrix)`` (C code,
    one pass) applies them together.
    """
    grey = np.array([[0.299, 0.587, 0.114]] * 3)
    m = look.saturation * np.eye(3) + (1.0 - look.saturation) * grey
    m = m * look.contrast * look.brightness
    warm = np.diag([1.0 + 0.12 * look.warmth, 1.0 + 0.02 * look.warmth, 1.0 - 0.15 * look.warmth])
    m = warm @ m
    offset = np.full(3, 128.0 * (1.0 - look.contrast) * look.brightness)
    # Fade: compress towards a warm cream so blacks lift (shadows never reach pure black).
    cream = np.array([245.0, 235.0, 215.0])
    m = m * (1.0 - look.fade)
    offset = offset * (1.0 - look.fade) + cream * look.fade
    return tuple(float(v) for v in np.hstack([m, offset[:, None]]).ravel())


def grade_color(color: RGB, look: Look) -> RGB:
    """The same grading as ``grade_matrix`` applied to one colour (for SVG fills)."""
    m = np.array(grade_matrix(look)).reshape(3, 4)
    out = m[:, :3] @ np.array(color, dtype=float) + m[:, 3]
    r, g, b = (int(v) for v in np.clip(np.round(out), 0, 255))
    return (r, g, b)


def is_neutral_grade(look: Look) -> bool:
    return (look.saturation, look.contrast, look.brightness, look.warmth, look.fade) == (
        1.0,
        1.0,
        1.0,
        0.0,
        0.0,
    )


def apply_look(image: Image.Image, look: Look, rng: np.random.Generator) -> Image.Image:
    """Post-process a finished raster scene with the look's image-wide effects."""
    w, h = image.size
    scale = max(w, h) / 1024.0
    if look.soften:
        image = _soften(image, look.soften * scale)
    if look.motion_blur:
        image = _motion_blur(image, look.motion_blur)
    if look.glow:
        image = _glow(image, look.glow)
    if not is_neutral_grade(look):
        image = image.convert("RGB", grade_matrix(look))
    if look.hatch:
        image = _hatch(image, look.hatch, scale)
    if look.halftone:
        image = _halftone(image, look.halftone, scale)
    if look.pixelate:
        block = max(2, round(look.pixelate * scale))
        small = image.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
        image = small.resize((w, h), Image.Resampling.NEAREST)
    if look.posterize:
        image = ImageOps.posterize(image, look.posterize)
    if look.vignette:
        image = vignette(image, look.vignette)
    if look.grain:
        image = add_grain(image, 18.0 * look.grain, rng)
    return image


def _motion_blur(image: Image.Image, amount: float) -> Image.Image:
    # Squeezing horizontally then stretching back is a box-ish horizontal blur in two C passes.
    w, h = image.size
    factor = max(2, round(amount * w / 2))
    streak = image.resize((max(1, w // factor), h), Image.Resampling.BOX).resize(
        (w, h), Image.Resampling.BICUBIC
    )
    return Image.blend(image, streak, 0.75)


def _glow(image: Image.Image, amount: float) -> Image.Image:
    # Bloom: the brights, blurred at 1/16 size, screen-blended back over the image.
    w, h = image.size
    small = image.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BOX)
    bright = small.point(lambda v: round(max(0, v - 150) * 2 * amount))
    halo = bright.filter(ImageFilter.GaussianBlur(2)).resize((w, h), Image.Resampling.BILINEAR)
    return ImageChops.screen(image, halo)


def _soften(image: Image.Image, amount: float) -> Image.Image:
    # A cheap wide blur: shrink and grow back (a Gaussian of this radius costs ~5x more).
    w, h = image.size
    factor = 1.0 + 2.0 * amount
    small = image.resize(
        (max(1, round(w / factor)), max(1, round(h / factor))), Image.Resampling.BOX
    )
    return small.resize((w, h), Image.Resampling.BICUBIC)


def _tiled(cell: np.ndarray, w: int, h: int) -> np.ndarray:
    """A small periodic pattern repeated over an (h, w) image."""
    ch, cw = cell.shape
    return np.tile(cell, (h // ch + 1, w // cw + 1))[:h, :w]


def _ink(image: Image.Image, ink: np.ndarray, strength: float) -> Image.Image:
    """Darken ``image`` where the boolean ``ink`` pattern is set (one C composite)."""
    mask = Image.fromarray(ink.astype(np.uint8) * round(255 * strength))
    shadow = image.point(lambda v: v // 6)
    return Image.composite(shadow, image, mask)


def _hatch(image: Image.Image, amount: float, scale: float) -> Image.Image:
    # Engraving: diagonal lines that thicken with darkness, plus a crossing set in shadows.
    # Thresholds against small tiled phase patterns keep it to a few uint8 passes.
    w, h = image.size
    period = max(4, round(7 * scale))
    idx = np.arange(period, dtype=np.int16)
    phase1 = _tiled(((idx[:, None] + idx[None, :]) % period).astype(np.uint8), w, h)
    phase2 = _tiled(((idx[None, :] - idx[:, None]) % period).astype(np.uint8), w, h)
    lum = np.asarray(image.convert("L"))
    darkness = ((255 - lum.astype(np.uint16)) * period // 256).astype(np.uint8)
    ink = (phase1 < darkness) | ((phase2 + period // 2 < darkness) & (lum < 110))
    return _ink(image, ink, 0.75 * amount)


def _halftone(image: Image.Image, amount: float, scale: float) -> Image.Image:
    # Pop-art dot screen: each cell's dot grows with the darkness under it.
    w, h = image.size
    cell = max(5, round(10 * scale))
    c = np.arange(cell) - (cell - 1) / 2
    dist = np.sqrt(c[:, None] ** 2 + c[None, :] ** 2) / (cell * 0.7)
    dist_u8 = _tiled(np.clip(dist * 255, 0, 255).astype(np.uint8), w, h)
    lum = np.asarray(image.convert("L"))
    threshold = ((255 - lum.astype(np.uint16)) * 230 // 255).astype(np.uint8)
    return _ink(image, dist_u8 < threshold, 0.6 * amount)


def vignette(image: Image.Image, strength: float) -> Image.Image:
    """Darken towards the corners; the falloff is computed small and upscaled (it is smooth)."""
    w, h = image.size
    ys, xs = np.ogrid[-1.0:1.0:48j, -1.0:1.0:48j]
    falloff = 1.0 - strength * 0.55 * np.clip((xs * xs + ys * ys) / 2.0, 0, 1) ** 1.5
    mask = Image.fromarray((falloff * 255).astype(np.uint8)).resize(
        (w, h), Image.Resampling.BILINEAR
    )
    return Image.composite(image, Image.new("RGB", (w, h)), mask)


def add_grain(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    """Monochrome film grain of about ``sigma`` standard deviation (0..255 units).

    Two random bytes halved and summed give a triangular, near-Gaussian distribution; a lookup
    table scales it and ``ImageChops.add`` applies it in C. Much cheaper than float noise.
    The grain is a strip ``_GRAIN_TILE`` pixels wide repeated across the image: the eye cannot
    see the repeat, but PNG's deflate finds it, which halves encoding time and file size.
    """
    w, h = image.size
    tile_w = min(w, _GRAIN_TILE)
    raw = np.frombuffer(rng.bytes(2 * tile_w * h), dtype=np.uint8).reshape(2, h, tile_w)
    tri = Image.fromarray((raw[0] >> 1) + (raw[1] >> 1))  # 0..254, mean 127, sd ~52
    lut = [max(0, min(128, round(64 + (v - 127) * sigma / 52.0))) for v in range(256)]
    strip = tri.point(lut)
    noise = Image.fromarray(_tiled(np.asarray(strip), w, h))
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), 1.0, -64)


_GRAIN_TILE = 128
