"""Rendering a request's ``text_layout``: each word stretched to fill its quad, raster and SVG.

A quad's points are [top-left, top-right, bottom-right, bottom-left] relative to the image.
Non-rectangular quads get a perspective warp: a homography from the word's box to the quad.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from fontTools.pens.basePen import BasePen
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, ImageStat

from atelier.engines.base import RGB, Point, TextItem
from atelier.imaging.colors import luminance, to_hex

FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans-Bold.ttf"

# Largest font size a raster word is rendered at before warping; bigger quads are upscaled,
# which keeps huge (mostly off-image) quads cheap.
_MAX_FONT_PX = 480


@lru_cache(maxsize=64)
def load_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


@lru_cache(maxsize=1)
def _ttfont() -> TTFont:
    return TTFont(str(FONT_PATH), lazy=True)


def quad_pixels(item: TextItem, width: int, height: int) -> list[Point]:
    return [(x * width, y * height) for x, y in item.bbox]


def homography(src: Sequence[Point], dst: Sequence[Point]) -> np.ndarray | None:
    """The 3x3 projective map taking the 4 ``src`` points to the 4 ``dst`` points.

    None when the points are degenerate (e.g. a quad collapsed to a line).
    """
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -x * u, -y * u])
        rows.append([0, 0, 0, x, y, 1, -x * v, -y * v])
        rhs.extend([u, v])
    try:
        h = np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(h)):
        return None
    return np.append(h, 1.0).reshape(3, 3)


def _quad_area(quad: Sequence[Point]) -> float:
    # Shoelace formula; a (near) zero area means there is nothing to draw.
    return 0.5 * abs(
        sum(
            x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(quad, [*quad[1:], quad[0]], strict=True)
        )
    )


def _edge(a: Point, b: Point) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


# --- raster -----------------------------------------------------------------------------------


def _word_mask(word: str, quad: Sequence[Point]) -> Image.Image | None:
    """The word rendered white on black at about the quad's height, cropped to its box.

    The box is the ink horizontally, and vertically spans at least cap height to baseline so
    that "-" or "." keep their proportions instead of being blown up to fill the quad.
    """
    height_px = max(_edge(quad[0], quad[3]), _edge(quad[1], quad[2]))
    font = load_font(int(min(_MAX_FONT_PX, max(8, height_px))))
    left, top, right, bottom = (round(v) for v in font.getbbox(word, anchor="ls"))
    pad = 2 + (bottom - top) // 4  # getbbox is not ink-tight; leave room and crop to the ink
    origin = (pad - left, pad - top)  # where the baseline starts in the canvas
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text(origin, word, fill=255, font=font, anchor="ls")
    ink = canvas.getbbox()
    if ink is None:
        return None
    cap_top = origin[1] + round(font.getbbox("H", anchor="ls")[1])
    return canvas.crop((ink[0], min(ink[1], cap_top), ink[2], max(ink[3], origin[1])))


def _ink_for(background: Sequence[float], palette: Sequence[RGB]) -> RGB:
    """A palette colour clearly lighter/darker than the background, else near black/white."""
    bg_lum = luminance((int(background[0]), int(background[1]), int(background[2])))
    for color in palette:
        if abs(luminance(color) - bg_lum) >= 0.5:
            return color
    return (18, 18, 22) if bg_lum > 0.5 else (250, 250, 246)


def draw_text_layout(
    image: Image.Image, items: Sequence[TextItem], palette: Sequence[RGB] = ()
) -> None:
    """Draw every word into its quad on ``image`` (in place), coloured to contrast locally."""
    width, height = image.size
    for item in items:
        quad = quad_pixels(item, width, height)
        if _quad_area(quad) < 1.0:
            continue
        x0 = max(0, math.floor(min(x for x, _ in quad)))
        y0 = max(0, math.floor(min(y for _, y in quad)))
        x1 = min(width, math.ceil(max(x for x, _ in quad)))
        y1 = min(height, math.ceil(max(y for _, y in quad)))
        if x1 <= x0 or y1 <= y0:
            continue  # the quad lies entirely outside the image
        word = _word_mask(item.text, quad)
        if word is None:
            continue
        tw, th = word.size
        # PERSPECTIVE coefficients map output (crop) pixels back to the word image.
        h = homography([(x - x0, y - y0) for x, y in quad], [(0, 0), (tw, 0), (tw, th), (0, th)])
        if h is None:
            continue
        coeffs = tuple(float(v) for v in (h / h[2, 2]).ravel()[:8])
        mask = word.transform(
            (x1 - x0, y1 - y0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        )
        if mask.getbbox() is None:
            continue
        box = (x0, y0, x1, y1)
        background = ImageStat.Stat(image.crop(box).convert("RGB"), mask).mean
        image.paste(_ink_for(background, palette), box, mask)


# --- SVG --------------------------------------------------------------------------------------


class _WarpPen(BasePen):
    """Forwards outlines to another pen with every point mapped through ``warp``.

    Mapping Bezier control points through a homography is not exact (the true image is a
    rational curve), but for glyph-sized curves the difference is far below a pixel.
    """

    def __init__(self, glyph_set: object, out: SVGPathPen, warp: Callable[[Point], Point]):
        super().__init__(glyph_set)
        self._out = out
        self._warp = warp

    def _moveTo(self, pt: Point) -> None:
        self._out.moveTo(self._warp(pt))

    def _lineTo(self, pt: Point) -> None:
        self._out.lineTo(self._warp(pt))

    def _curveToOne(self, pt1: Point, pt2: Point, pt3: Point) -> None:
        self._out.curveTo(self._warp(pt1), self._warp(pt2), self._warp(pt3))

    def _qCurveToOne(self, pt1: Point, pt2: Point) -> None:
        self._out.qCurveTo(self._warp(pt1), self._warp(pt2))

    def _closePath(self) -> None:
        self._out.closePath()

    def _endPath(self) -> None:
        self._out.endPath()


def _svg_number(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _glyph_run(word: str) -> list[tuple[str, float]]:
    """(glyph name, x offset in font units) for each character; no kerning."""
    font = _ttfont()
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    run, cursor = [], 0.0
    for ch in word:
        name = cmap.get(ord(ch), ".notdef")
        run.append((name, cursor))
        cursor += hmtx[name][0]
    return run


def word_path(word: str, quad: Sequence[Point]) -> str | None:
    """SVG path data of ``word``'s outlines warped into ``quad`` (pixels), or None if empty."""
    font = _ttfont()
    glyph_set = font.getGlyphSet()
    run = _glyph_run(word)
    bounds_pen = BoundsPen(glyph_set)
    for name, dx in run:
        glyph_set[name].draw(TransformPen(bounds_pen, (1, 0, 0, 1, dx, 0)))
    if bounds_pen.bounds is None:
        return None
    x_min, y_min, x_max, y_max = bounds_pen.bounds
    cap_height = getattr(font["OS/2"], "sCapHeight", 0) or 0.7 * font["head"].unitsPerEm
    top, bottom = max(y_max, cap_height), min(y_min, 0.0)  # font units: y points up
    src = [(x_min, top), (x_max, top), (x_max, bottom), (x_min, bottom)]
    h = homography(src, quad)
    if h is None:
        return None

    def warp(pt: Point) -> Point:
        x, y, w = h @ np.array([pt[0], pt[1], 1.0])
        return (float(x / w), float(y / w))

    svg_pen = SVGPathPen(glyph_set, ntos=_svg_number)
    warp_pen = _WarpPen(glyph_set, svg_pen, warp)
    for name, dx in run:
        glyph_set[name].draw(TransformPen(warp_pen, (1, 0, 0, 1, dx, 0)))
    return svg_pen.getCommands() or None


def svg_text_layout(
    items: Sequence[TextItem], width: int, height: int, color: RGB, halo: RGB | None = None
) -> str:
    """The words as a ``<g>`` of ``<path>`` elements; ``halo`` outlines them for legibility."""
    paths = []
    for item in items:
        quad = quad_pixels(item, width, height)
        if _quad_area(quad) < 1.0:
            continue
        d = word_path(item.text, quad)
        if d:
            paths.append(f'<path d="{d}"/>')
    if not paths:
        return ""
    stroke = ""
    if halo is not None:
        halo_w = max(1.0, min(width, height) / 400)
        stroke = (
            f' stroke="{to_hex(halo)}" stroke-width="{_svg_number(halo_w)}"'
            ' stroke-linejoin="round" paint-order="stroke"'
        )
    return f'<g class="text-layout" fill="{to_hex(color)}"{stroke}>{"".join(paths)}</g>'
