"""Raster-to-SVG tracing for the vectorize tool, built on vtracer."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import vtracer
from PIL import Image

from atelier.engines.base import RGB
from atelier.engines.preview_palette import to_hex
from atelier.errors import AtelierError

# vtracer keys transparency out only where alpha is exactly zero; anything fainter than this is
# treated as empty too, so anti-aliased halos of cut-out images do not become faint shapes.
_ALPHA_CUTOFF = 128
_FILL_RE = re.compile(r'fill="#([0-9a-fA-F]{6})"')
_SVG_OPEN_RE = re.compile(r"<svg\b[^>]*>")


class VectorizeError(AtelierError):
    """The tracer failed on an image it accepted (a bug or resource limit, not the caller's)."""

    status = 500
    code = "vectorize_failed"


@dataclass(frozen=True)
class VectorizeOptions:
    """How to trace an image; defaults suit flat illustrations and logos.

    color_reduction: at most this many colours (the image is quantised before tracing, so the
        SVG has at most this many distinct fills); None keeps vtracer's own clustering.
    color_precision: significant bits per RGB channel vtracer keeps when clustering (1..8).
    filter_speckle: shapes smaller than this many pixels across are dropped (small-shape filter).
    stacking: "stacked" layers shapes on top of each other (no gaps at edges, fewer nodes);
        "cutout" makes shapes that do not overlap (each visible area is one path).
    mode: "spline" for smooth curves, "polygon" for straight segments (pixel-art, diagrams).
    layer_difference: colour distance between gradient layers (higher = fewer layers).
    corner_threshold: minimum angle in degrees counted as a corner.
    length_threshold: segments shorter than this (px) are merged (3.5..10).
    splice_threshold: minimum angle displacement in degrees that splits a spline.
    path_precision: decimal places of path coordinates (keeps the document small).
    palette: when given, every fill is snapped to its nearest colour of the palette.
    """

    color_reduction: int | None = None
    color_precision: int = 6
    filter_speckle: int = 4
    stacking: Literal["stacked", "cutout"] = "stacked"
    mode: Literal["spline", "polygon"] = "spline"
    layer_difference: int = 16
    corner_threshold: int = 60
    length_threshold: float = 4.0
    splice_threshold: int = 45
    path_precision: int = 2
    palette: tuple[RGB, ...] | None = None

    @classmethod
    def for_palette(
        cls, palette: tuple[RGB, ...], colors_without: int | None = None
    ) -> VectorizeOptions:
        """Traced in at most the palette's colours and snapped to them; with no palette, in
        at most ``colors_without`` colours (None: vtracer's own clustering)."""
        if not palette:
            return cls(color_reduction=colors_without)
        return cls(color_reduction=len(palette), palette=palette)

    def __post_init__(self) -> None:
        if self.color_reduction is not None and not 1 <= self.color_reduction <= 256:
            raise ValueError("color_reduction must be between 1 and 256")
        if not 1 <= self.color_precision <= 8:
            raise ValueError("color_precision must be between 1 and 8")
        if self.filter_speckle < 0:
            raise ValueError("filter_speckle must not be negative")


def vectorize(image: Image.Image, options: VectorizeOptions = VectorizeOptions()) -> str:
    """Trace `image` into a complete SVG document of the same width and height."""
    rgba = _visible_only(image)
    reduced: list[RGB] = []
    if options.color_reduction is not None:
        rgba, reduced = _quantized(rgba, options.color_reduction)
    svg = _trace(rgba, options)
    svg = _with_viewbox(svg, rgba.width, rgba.height)
    # vtracer averages the colours of clusters it merges, which can invent colours the reduced
    # image does not have; snapping back keeps the promise of at most `color_reduction` fills.
    palette = options.palette or reduced
    if palette:
        svg = snap_to_palette(svg, palette)
    return svg


def snap_to_palette(svg: str, palette: Sequence[RGB]) -> str:
    """Replace every `fill="#rrggbb"` of `svg` by the nearest colour of `palette`."""
    if not palette:
        raise ValueError("palette must not be empty")
    cache: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        hex_colour = match.group(1).lower()
        if hex_colour not in cache:
            colour = _parse_hex(hex_colour)
            cache[hex_colour] = to_hex(min(palette, key=lambda p: _colour_distance(colour, p)))
        return f'fill="{cache[hex_colour]}"'

    return _FILL_RE.sub(replace, svg)


def _visible_only(image: Image.Image) -> Image.Image:
    """RGBA copy of `image` whose alpha is binary: faint pixels become fully transparent."""
    rgba = image.convert("RGBA")
    rgba.putalpha(rgba.getchannel("A").point(lambda a: 255 if a >= _ALPHA_CUTOFF else 0))
    return rgba


def _quantized(rgba: Image.Image, colors: int) -> tuple[Image.Image, list[RGB]]:
    """`rgba` reduced to at most `colors` colours chosen from its visible pixels, and those."""
    alpha = rgba.getchannel("A")
    pixels = np.asarray(rgba.convert("RGB")).copy()
    visible = np.asarray(alpha) > 0
    if visible.any() and not visible.all():
        # Hidden pixels take a visible colour, so they cannot claim a palette slot of their own.
        pixels[~visible] = pixels[visible][0]
    indexed = Image.fromarray(pixels).quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    used = [int(i) for i in np.unique(np.asarray(indexed))]
    flat = indexed.getpalette() or []
    palette = [(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]) for i in used]
    reduced = indexed.convert("RGBA")
    reduced.putalpha(alpha)
    return reduced, palette


def _trace(rgba: Image.Image, options: VectorizeOptions) -> str:
    # An uncompressed PNG is the cheapest lossless container vtracer decodes with alpha
    # (a list of pixel tuples is slower to build; BMP loses the alpha channel).
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG", compress_level=0)
    # With a reduced palette the colours are already exact: clustering at full precision keeps
    # vtracer from merging palette entries that differ only in low bits.
    precision = 8 if options.color_reduction is not None else options.color_precision
    try:
        return vtracer.convert_raw_image_to_svg(
            buffer.getvalue(),
            img_format="png",
            colormode="color",
            hierarchical=options.stacking,
            mode=options.mode,
            filter_speckle=options.filter_speckle,
            color_precision=precision,
            layer_difference=options.layer_difference,
            corner_threshold=options.corner_threshold,
            length_threshold=options.length_threshold,
            max_iterations=10,
            splice_threshold=options.splice_threshold,
            path_precision=options.path_precision,
        )
    except Exception as exc:  # vtracer raises bare exceptions from Rust panics
        raise VectorizeError(f"tracing failed: {exc}") from exc


def _with_viewbox(svg: str, width: int, height: int) -> str:
    """Give the root element exact width/height and a viewBox, so the SVG scales when embedded."""
    root = (
        f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    )
    svg, count = _SVG_OPEN_RE.subn(root, svg, count=1)
    if count != 1:
        raise VectorizeError("tracer output has no <svg> element")
    return svg


def _parse_hex(hex_colour: str) -> RGB:
    return (int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16))


def _colour_distance(a: RGB, b: RGB) -> float:
    """Squared "redmean" distance: a cheap perceptual weighting of RGB differences."""
    red_mean = (a[0] + b[0]) / 2
    dr, dg, db = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return (2 + red_mean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - red_mean) / 256) * db * db
