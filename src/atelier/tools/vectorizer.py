"""Raster-to-SVG tracing for the vectorize tool, built on vtracer."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import cv2
import numpy as np
import vtracer
from PIL import Image

from atelier.engines.base import RGB
from atelier.errors import AtelierError
from atelier.imaging.colors import to_hex
from atelier.tools.base import Vectorizing

if TYPE_CHECKING:
    from atelier.config import Settings

# What Recraft's on/off switches mean here (see VectorizeOptions.from_recraft).
SMALL_SHAPE_SPECKLE = 4  # small_shape_filter="on": vtracer's filter_speckle ("off" is 0)
REDUCED_COLORS = 16  # color_reduction="on": at most this many colours

# vtracer keys transparency out only where alpha is exactly zero; anything fainter than this is
# treated as empty too, so anti-aliased halos of cut-out images do not become faint shapes.
_ALPHA_CUTOFF = 128
_FILL_RE = re.compile(r'fill="#([0-9a-fA-F]{6})"')
_SVG_NS = "{http://www.w3.org/2000/svg}"
# A path command and its arguments ("e" is left out of the letters: it is an exponent).
_COMMAND_RE = re.compile(r"([A-DF-Za-df-z])([^A-DF-Za-df-z]*)")
_ARITY = {"M": 2, "L": 2, "C": 6, "Z": 0}
_TRANSLATE_RE = re.compile(r"translate\(\s*([^\s,)]+)[\s,]+([^\s,)]+)\s*\)")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Compression: vtracer merges segments shorter than this (px), and coordinates keep at most
# this many decimals (a tenth of a pixel is below what anti-aliasing shows).
_COMPRESSED_LENGTH_THRESHOLD = 6.0
_COMPRESSED_PRECISION = 1

# Gradients: neighbouring pixels further apart than this (in any channel) are an edge, not
# shading; a shape gets a gradient when its pixels (at least _RAMP_MIN_PIXELS, edges left out)
# follow one linear ramp to within _RAMP_MAX_RMS and change by at least _RAMP_MIN_SPAN over it.
_RAMP_EDGE = 16
_RAMP_MIN_PIXELS = 64
_RAMP_MAX_RMS = 6.0
_RAMP_MIN_SPAN = 24.0


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
    filter_speckle: shapes smaller than this many pixels across are dropped (small-shape filter;
        0 keeps every shape).
    stacking: "stacked" layers shapes on top of each other (no gaps at edges, fewer nodes);
        "cutout" makes shapes that do not overlap (each visible area is one path).
    mode: "spline" for smooth curves, "polygon" for straight segments (pixel-art, diagrams).
    layer_difference: colour distance between gradient layers (higher = fewer layers).
    corner_threshold: minimum angle in degrees counted as a corner.
    length_threshold: segments shorter than this (px) are merged (3.5..10).
    splice_threshold: minimum angle displacement in degrees that splits a spline.
    path_precision: decimal places of path coordinates (keeps the document small).
    palette: when given, every fill is snapped to its nearest colour of the palette.
    max_shapes: at most this many shapes (<path> elements): the smallest go (cut out, they are
        first merged into their neighbours by retracing with a stronger speckle filter).
    gradients: shapes whose pixels shade linearly get a <linearGradient> fill instead of a flat
        one; ignored when `palette` is given (a gradient is not one of the palette's colours).
    compress: a smaller document: coarser curves (length_threshold at least 6), at most one
        decimal, same-colour shapes merged into one path, relative path commands and no
        whitespace between elements.
    """

    color_reduction: int | None = None
    # vtracer's defaults are 6 bits and 45 degrees. Full precision keeps shading that 6 bits
    # merges into one flat shape, and splitting splines at 30 degrees follows outlines more
    # closely: on the scikit-image logo the re-rasterised SSIM goes from 0.920 to 0.942 with
    # 1.30x the shapes, on photographs from 0.782 to 0.825 (docs/quality.md).
    color_precision: int = 8
    filter_speckle: int = SMALL_SHAPE_SPECKLE
    stacking: Literal["stacked", "cutout"] = "stacked"
    mode: Literal["spline", "polygon"] = "spline"
    layer_difference: int = 16
    corner_threshold: int = 60
    length_threshold: float = 4.0
    splice_threshold: int = 30
    path_precision: int = 2
    palette: tuple[RGB, ...] | None = None
    max_shapes: int | None = None
    gradients: bool = False
    compress: bool = False

    @classmethod
    def for_palette(
        cls, palette: tuple[RGB, ...], colors_without: int | None = None
    ) -> VectorizeOptions:
        """Traced in at most the palette's colours and snapped to them; with no palette, in
        at most ``colors_without`` colours (None: vtracer's own clustering)."""
        if not palette:
            return cls(color_reduction=colors_without)
        return cls(color_reduction=len(palette), palette=palette)

    @classmethod
    def from_recraft(
        cls,
        *,
        svg_compression: Literal["on", "off"] | None = None,
        limit_num_shapes: Literal["on", "off"] | None = None,
        max_num_shapes: int | None = None,
        return_gradients: Literal["on", "off"] | None = None,
        shape_stacking: Literal["cut_out", "hierarchical"] | None = None,
        small_shape_filter: Literal["on", "off"] | None = None,
        strict_color_palette: Sequence[Sequence[int]] | None = None,
        color_reduction: Literal["on", "off"] | int | None = None,
    ) -> VectorizeOptions:
        """The options of Recraft's vectorize request (None: not sent, the default applies).

        max_num_shapes caps the shapes unless limit_num_shapes is "off"; color_reduction is
        "on"/"off" or, as atelier also accepts, a number of colours. Raises ValueError.
        """
        if limit_num_shapes == "on" and max_num_shapes is None:
            raise ValueError("max_num_shapes is required when limit_num_shapes is on")
        colors: int | None
        if color_reduction == "on":
            colors = REDUCED_COLORS
        elif color_reduction == "off":
            colors = None
        else:
            colors = color_reduction
        palette = tuple(_rgb(colour) for colour in strict_color_palette or ())
        if palette:
            # As in for_palette: trace in no more colours than the palette has, then snap.
            colors = min(len(palette), colors or 256, 256)
        return cls(
            color_reduction=colors,
            filter_speckle=0 if small_shape_filter == "off" else SMALL_SHAPE_SPECKLE,
            stacking="cutout" if shape_stacking == "cut_out" else "stacked",
            palette=palette or None,
            max_shapes=None if limit_num_shapes == "off" else max_num_shapes,
            gradients=return_gradients == "on",
            compress=svg_compression == "on",
        )

    def __post_init__(self) -> None:
        if self.color_reduction is not None and not 1 <= self.color_reduction <= 256:
            raise ValueError("color_reduction must be between 1 and 256")
        if not 1 <= self.color_precision <= 8:
            raise ValueError("color_precision must be between 1 and 8")
        if self.filter_speckle < 0:
            raise ValueError("filter_speckle must not be negative")
        if self.max_shapes is not None and self.max_shapes < 1:
            raise ValueError("max_shapes must be at least 1")
        for colour in self.palette or ():
            _rgb(colour)


def vectorize(image: Image.Image, options: VectorizeOptions = VectorizeOptions()) -> str:
    """Trace `image` into a complete SVG document of the same width and height."""
    rgba = _visible_only(image)
    gradients = options.gradients and not options.palette
    if gradients:
        source = np.asarray(rgba)
        smooth = _smooth_pixels(source)
        rgba = _with_flat_ramps(rgba, smooth)
    reduced: list[RGB] = []
    if options.color_reduction is not None:
        rgba, reduced = _quantized(rgba, options.color_reduction)
    shapes = _traced(rgba, options)
    # vtracer averages the colours of clusters it merges, which can invent colours the reduced
    # image does not have; snapping back keeps the promise of at most `color_reduction` fills.
    palette = options.palette or reduced
    if palette:
        nearest = _nearest_in(palette)
        for shape in shapes:
            shape.fill = nearest(shape.fill)
    if gradients:
        _fit_gradients(shapes, source, smooth)
    if options.compress:
        shapes = _merged(shapes, any_order=options.stacking == "cutout")
    if options.max_shapes is not None and len(shapes) > options.max_shapes:
        shapes = _largest(shapes, options.max_shapes)
    if options.compress:
        return _compact_document(shapes, rgba.width, rgba.height, options.path_precision)
    return _document(shapes, rgba.width, rgba.height)


def snap_to_palette(svg: str, palette: Sequence[RGB]) -> str:
    """Replace every `fill="#rrggbb"` of `svg` by the nearest colour of `palette`."""
    nearest = _nearest_in(palette)
    return _FILL_RE.sub(lambda match: f'fill="{nearest("#" + match.group(1))}"', svg)


def _nearest_in(palette: Sequence[RGB]) -> Callable[[str], str]:
    """A function from "#rrggbb" to the hex of its nearest colour of `palette`; others pass."""
    if not palette:
        raise ValueError("palette must not be empty")
    cache: dict[str, str] = {}

    def nearest(fill: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", fill):
            return fill
        key = fill.lower()
        if key not in cache:
            colour = _parse_hex(key[1:])
            cache[key] = to_hex(min(palette, key=lambda p: _colour_distance(colour, p)))
        return cache[key]

    return nearest


def _rgb(colour: Sequence[int]) -> RGB:
    """`colour` as an RGB triple, or ValueError when it is not three channels of 0..255."""
    if len(colour) != 3 or not all(
        isinstance(c, int | np.integer) and not isinstance(c, bool) and 0 <= c <= 255
        for c in colour
    ):
        raise ValueError(f"a palette colour must be three integers 0..255, not {list(colour)}")
    return (int(colour[0]), int(colour[1]), int(colour[2]))


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


def _traced(rgba: Image.Image, options: VectorizeOptions) -> list[_Shape]:
    """The shapes vtracer makes of `rgba`, in drawing order."""
    shapes = _shapes(_trace(rgba, options, options.filter_speckle))
    cap = options.max_shapes
    if cap is not None and len(shapes) > cap and options.stacking == "cutout":
        # Dropping a cut-out shape (as the cap does) leaves a hole; vtracer's speckle filter
        # merges small clusters into their neighbours instead. One retrace, with the filter just
        # above the largest shape that has to go, brings the count near the cap (vtracer takes
        # about as long whatever the filter, so this at most doubles the time).
        dropped_area = sorted((shape.area() for shape in shapes), reverse=True)[cap]
        speckle = math.isqrt(int(dropped_area)) + 1
        if speckle > options.filter_speckle:
            shapes = _shapes(_trace(rgba, options, speckle))
    return shapes


def _trace(rgba: Image.Image, options: VectorizeOptions, speckle: int) -> str:
    # An uncompressed PNG is the cheapest lossless container vtracer decodes with alpha
    # (a list of pixel tuples is slower to build; BMP loses the alpha channel).
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG", compress_level=0)
    # With a reduced palette the colours are already exact: clustering at full precision keeps
    # vtracer from merging palette entries that differ only in low bits.
    precision = 8 if options.color_reduction is not None else options.color_precision
    length = options.length_threshold
    if options.compress:
        length = max(length, _COMPRESSED_LENGTH_THRESHOLD)
    try:
        return vtracer.convert_raw_image_to_svg(
            buffer.getvalue(),
            img_format="png",
            colormode="color",
            hierarchical=options.stacking,
            mode=options.mode,
            filter_speckle=speckle,
            color_precision=precision,
            layer_difference=options.layer_difference,
            corner_threshold=options.corner_threshold,
            length_threshold=length,
            max_iterations=10,
            splice_threshold=options.splice_threshold,
            path_precision=options.path_precision,
        )
    except Exception as exc:  # vtracer raises bare exceptions from Rust panics
        raise VectorizeError(f"tracing failed: {exc}") from exc


# --- The traced shapes -------------------------------------------------------------------


class _Subpath(NamedTuple):
    """One closed outline: its segments as cubics (k, 4, 2) in document coordinates; a line
    is the cubic with its control points on it, marked in `lines` so it is written as one."""

    cubics: np.ndarray
    lines: np.ndarray
    closed: bool


class _Gradient(NamedTuple):
    """A linear gradient in document coordinates: colour `start` at (x1, y1) to `end` at
    (x2, y2), padded beyond."""

    x1: float
    y1: float
    x2: float
    y2: float
    start: RGB
    end: RGB


@dataclass
class _Shape:
    """One <path> of the document. vtracer writes path data relative to a translation; the
    geometry is parsed (and the translation applied) only when something needs it."""

    fill: str
    d: str = ""
    offset: tuple[float, float] = (0.0, 0.0)
    parsed: list[_Subpath] | None = None
    gradient: _Gradient | None = None

    def subpaths(self) -> list[_Subpath]:
        if self.parsed is None:
            self.parsed = _parse_path(self.d, self.offset)
        return self.parsed

    def points(self) -> np.ndarray:
        """Every end and control point, (n, 2): the curves lie within their hull."""
        arrays = [s.cubics.reshape(-1, 2) for s in self.subpaths()]
        return np.concatenate(arrays) if arrays else np.zeros((0, 2))

    def area(self) -> float:
        """Area enclosed, from the control polygons (holes wind the other way and subtract)."""
        total = 0.0
        for subpath in self.subpaths():
            ring = subpath.cubics[:, :3].reshape(-1, 2)
            x, y = ring[:, 0], ring[:, 1]
            total += float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2
        return abs(total)

    def rings(self) -> list[np.ndarray]:
        """Each outline as a polygon, the curves sampled at quarters: to rasterise it."""
        rings = []
        for subpath in self.subpaths():
            points = np.einsum("tj,kjd->ktd", _QUARTERS, subpath.cubics).reshape(-1, 2)
            rings.append(np.concatenate([subpath.cubics[:1, 0], points]))
        return rings


def _bernstein(t: np.ndarray) -> np.ndarray:
    return np.stack([(1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t**2 * (1 - t), t**3], axis=1)


_QUARTERS = _bernstein(np.array([0.25, 0.5, 0.75, 1.0]))


def _shapes(svg: str) -> list[_Shape]:
    """The <path> elements of vtracer's document, in drawing order."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise VectorizeError(f"tracer output is not XML: {exc}") from exc
    if root.tag != f"{_SVG_NS}svg":
        raise VectorizeError("tracer output has no <svg> element")
    shapes = []
    for path in root.iter(f"{_SVG_NS}path"):
        if not path.get("d", "").strip():
            continue  # vtracer sometimes writes a path with no outline
        offset = (0.0, 0.0)
        if match := _TRANSLATE_RE.search(path.get("transform", "")):
            offset = (float(match.group(1)), float(match.group(2)))
        shapes.append(_Shape(path.get("fill", "#000000"), path.get("d", ""), offset))
    return shapes


def _parse_path(d: str, offset: tuple[float, float]) -> list[_Subpath]:
    """vtracer's path data (absolute M, L, C and Z only), moved by `offset`."""
    subpaths: list[_Subpath] = []
    segments: list[list[float]] = []  # x0 y0 x1 y1 x2 y2 x3 y3: a cubic from the current point
    lines: list[bool] = []
    sx = sy = cx = cy = 0.0

    def finish(closed: bool) -> None:
        if segments:
            cubics = np.array(segments).reshape(-1, 4, 2) + offset
            subpaths.append(_Subpath(cubics, np.array(lines), closed))
        segments.clear()
        lines.clear()

    for command, arguments in _COMMAND_RE.findall(d):
        arity = _ARITY.get(command)
        try:
            numbers = [float(n) for n in arguments.replace(",", " ").split()]
        except ValueError:
            arity = None
        if arity is None or (len(numbers) % arity if arity else numbers):
            raise VectorizeError(f"unexpected path data from the tracer: {d[:80]!r}")
        if command == "Z":
            finish(closed=True)
            cx, cy = sx, sy
        for i in range(0, len(numbers), arity or 1):
            if command == "M" and i == 0:  # further pairs after a move are lines
                finish(closed=False)
                sx, sy = cx, cy = numbers[0:2]
                continue
            if command == "C":
                segment = [cx, cy, *numbers[i : i + 6]]
            else:  # a line: the cubic with its control points at thirds of it
                x, y = numbers[i : i + 2]
                segment = [cx, cy, (2 * cx + x) / 3, (2 * cy + y) / 3]
                segment += [(cx + 2 * x) / 3, (cy + 2 * y) / 3, x, y]
            segments.append(segment)
            lines.append(command != "C")
            cx, cy = segment[6:8]
    finish(closed=False)
    return subpaths


def _merged(shapes: list[_Shape], any_order: bool) -> list[_Shape]:
    """Shapes of the same flat fill as one path each. Stacked shapes overlap, so only runs of
    neighbours in drawing order merge; cut-out shapes do not, so all of a colour merge. vtracer
    winds outlines one way and holes the other, so a merged path fills the union."""
    merged: list[_Shape] = []
    last: dict[str, _Shape] = {}
    for shape in shapes:
        into = last.get(shape.fill) if any_order else (merged[-1] if merged else None)
        if (
            shape.gradient is None
            and into is not None
            and into.gradient is None
            and into.fill == shape.fill
        ):
            into.parsed = into.subpaths() + shape.subpaths()
            continue
        merged.append(_Shape(shape.fill, parsed=list(shape.subpaths()), gradient=shape.gradient))
        if shape.gradient is None:
            last[shape.fill] = merged[-1]
    return merged


def _largest(shapes: list[_Shape], cap: int) -> list[_Shape]:
    """The `cap` largest shapes, in their drawing order (stacked, what was under a dropped
    shape shows through)."""
    ranked = sorted(range(len(shapes)), key=lambda i: shapes[i].area(), reverse=True)
    return [shapes[i] for i in sorted(ranked[:cap])]


# --- Gradients ---------------------------------------------------------------------------


def _smooth_pixels(rgba: np.ndarray) -> np.ndarray:
    """Visible pixels that differ from none of their four neighbours by more than _RAMP_EDGE."""
    pixels = rgba[..., :3].astype(np.int16)
    across = np.abs(np.diff(pixels, axis=1)).max(axis=2) > _RAMP_EDGE
    down = np.abs(np.diff(pixels, axis=0)).max(axis=2) > _RAMP_EDGE
    edge = np.zeros(pixels.shape[:2], dtype=bool)
    edge[:, :-1] |= across
    edge[:, 1:] |= across
    edge[:-1] |= down
    edge[1:] |= down
    visible: np.ndarray = rgba[..., 3] > 0
    return visible & ~edge


def _large_labels(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`labels` (0..count-1) renumbered 1..k in order, keeping only those other than 0 with at
    least _RAMP_MIN_PIXELS pixels (the rest become 0), and the old label of each new one. Fewer
    labels keep the moments small where a noisy image has many tiny regions."""
    sizes = np.bincount(labels.ravel(), minlength=count)
    sizes[0] = 0
    kept = np.concatenate([[0], np.flatnonzero(sizes >= _RAMP_MIN_PIXELS)])
    renumbered = np.zeros(count, dtype=np.int32)
    renumbered[kept] = np.arange(len(kept), dtype=np.int32)
    return renumbered[labels], kept


class _Moments(NamedTuple):
    """Per-label pixel statistics, centred: enough for least-squares fits of colour against
    position without another pass over the pixels."""

    pixels: np.ndarray  # (L,)
    centroid: np.ndarray  # (L, 2)
    mean: np.ndarray  # (L, 3)
    spread: np.ndarray  # (L, 2, 2): sum of (p - centroid)(p - centroid)^T
    cross: np.ndarray  # (L, 2, 3): sum of (p - centroid)(c - mean)^T
    variation: np.ndarray  # (L, 3): sum of (c - mean)^2


def _moments(labels: np.ndarray, count: int, rgba: np.ndarray) -> _Moments:
    """Moments of the pixels of each label 0..count-1 (pixel centres at +0.5, as in SVG)."""
    height, width = labels.shape
    # Sums of products of the features (1, x, y, r, g, b), a band of rows at a time so that a
    # 16-megapixel image needs no gigabyte of temporaries.
    sums = np.zeros((count, 6, 6))
    rows = max(1, (1 << 20) // width)
    for top in range(0, height, rows):
        band = labels[top : top + rows].ravel()
        ys, xs = np.indices(labels[top : top + rows].shape, dtype=np.float64)
        colour = rgba[top : top + rows, :, :3].reshape(-1, 3).astype(np.float64)
        features = [np.ones(band.size), xs.ravel() + 0.5, ys.ravel() + top + 0.5, *colour.T]
        for i in range(6):
            for j in range(i, 6):
                total = np.bincount(band, features[i] * features[j], minlength=count)
                sums[:, i, j] += total[:count]
    n = sums[:, 0, 0]
    average = sums[:, 0, :] / np.maximum(n, 1)[:, None]
    upper = np.triu(sums) - n[:, None, None] * np.triu(average[:, :, None] * average[:, None])
    centred = upper + np.triu(upper, 1).transpose(0, 2, 1)
    return _Moments(
        pixels=n,
        centroid=average[:, 1:3],
        mean=average[:, 3:6],
        spread=centred[:, 1:3, 1:3],
        cross=centred[:, 1:3, 3:6],
        variation=np.diagonal(centred[:, 3:6, 3:6], axis1=1, axis2=2),
    )


class _Ramp(NamedTuple):
    """Colour = mean + slope * t, t the distance from the centroid along `direction`."""

    centroid: np.ndarray
    mean: np.ndarray
    direction: np.ndarray
    slope: np.ndarray


def _ramps(m: _Moments) -> dict[int, _Ramp]:
    """For each label whose pixels follow one linear ramp closely and change enough along it
    to be worth a gradient, that ramp."""
    # A ramp spanning s has a variance of at least s^2 / 12 in its steepest channel: a cheap
    # test that leaves out flat and small labels before any fitting.
    variance = m.variation.max(axis=1) / np.maximum(m.pixels, 1)
    candidates = (m.pixels >= _RAMP_MIN_PIXELS) & (12 * variance >= _RAMP_MIN_SPAN**2)
    ramps = {}
    for label in np.flatnonzero(candidates):
        if (ramp := _ramp(m, int(label))) is not None:
            ramps[int(label)] = ramp
    return ramps


def _ramp(m: _Moments, label: int) -> _Ramp | None:
    n = m.pixels[label]
    spread, cross = m.spread[label], m.cross[label]
    if np.linalg.det(spread) <= 1e-9 * n * n:
        return None  # pixels in a line: no direction to fit
    # One gradient axis for R, G and B together: the direction that explains most colour
    # variance, the top generalised eigenvector of (cross cross^T, spread).
    values, vectors = np.linalg.eig(np.linalg.solve(spread, cross @ cross.T))
    direction = vectors[:, int(np.argmax(values.real))].real
    direction /= np.linalg.norm(direction)
    along = float(direction @ spread @ direction)  # sum of t^2
    covariance = direction @ cross  # sum of t * (c - mean), per channel
    unexplained = float(m.variation[label].sum() - (covariance**2).sum() / along)
    rms = math.sqrt(max(unexplained, 0.0) / (3 * n))
    slope = covariance / along
    # The extent along the ramp, estimated as for evenly spread pixels: sqrt(12 variance).
    span = float(np.abs(slope).max()) * math.sqrt(12 * along / n)
    if rms > _RAMP_MAX_RMS or span < _RAMP_MIN_SPAN:
        return None
    return _Ramp(m.centroid[label], m.mean[label], direction, slope)


def _with_flat_ramps(rgba: Image.Image, smooth: np.ndarray) -> Image.Image:
    """`rgba` with each smooth region that shades linearly painted in its mean colour, so
    vtracer traces it as one shape rather than bands; the ramp is fitted back afterwards."""
    count, regions = cv2.connectedComponents(smooth.astype(np.uint8), connectivity=4)
    labels, kept = _large_labels(regions, count)  # 0: edges, hidden pixels, small regions
    pixels = np.asarray(rgba)
    moments = _moments(labels, len(kept), pixels)
    flat = np.zeros(len(kept), dtype=bool)
    flat[list(_ramps(moments))] = True
    if not flat.any():
        return rgba
    painted = pixels.copy()
    where = flat[labels]
    painted[where, :3] = np.rint(moments.mean[labels[where]]).astype(np.uint8)
    return Image.fromarray(painted, "RGBA")


def _fit_gradients(shapes: list[_Shape], rgba: np.ndarray, smooth: np.ndarray) -> None:
    """Give each shape whose visible, non-edge source pixels shade linearly a gradient fill."""
    height, width = smooth.shape
    # Which shape each pixel shows: later shapes are drawn over earlier ones.
    topmost = np.full((height, width), -1, dtype=np.int32)
    for index, shape in enumerate(shapes):
        # cv2 takes pixel centres at integer coordinates, SVG at +0.5; 4 bits of sub-pixel.
        rings = [np.rint((ring - 0.5) * 16).astype(np.int32) for ring in shape.rings()]
        if rings:
            cv2.fillPoly(topmost, rings, color=index, shift=4)
    # Label 0: edges, hidden pixels, pixels no shape covers and shapes with few pixels.
    labels, kept = _large_labels(np.where(smooth, topmost + 1, 0), len(shapes) + 1)
    for label, ramp in _ramps(_moments(labels, len(kept), rgba)).items():
        shape = shapes[kept[label] - 1]
        # The gradient's ends are where the shape's extent along the ramp ends.
        t = (shape.points() - ramp.centroid) @ ramp.direction
        ends = (float(t.min()), float(t.max()))
        if ends[1] - ends[0] < 1:
            continue
        (x1, y1), (x2, y2) = (ramp.centroid + t_end * ramp.direction for t_end in ends)
        first, last = (_clamped(ramp.mean + ramp.slope * t_end) for t_end in ends)
        shape.gradient = _Gradient(float(x1), float(y1), float(x2), float(y2), first, last)


def _clamped(colour: np.ndarray) -> RGB:
    r, g, b = (int(c) for c in np.clip(np.rint(colour), 0, 255))
    return (r, g, b)


# --- Writing the document ----------------------------------------------------------------


def _svg_root(width: int, height: int) -> str:
    """Exact width/height and a viewBox, so the SVG scales when embedded."""
    return (
        f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    )


def _gradient_defs(shapes: list[_Shape], local: bool, precision: int) -> tuple[str, list[str]]:
    """The <defs> of the shapes' gradients and each shape's fill attribute value. With `local`,
    gradient coordinates are in the path's own (translated) space, as userSpaceOnUse means."""
    defs: list[str] = []
    fills: list[str] = []
    for shape in shapes:
        gradient = shape.gradient
        if gradient is None:
            fills.append(shape.fill)
            continue
        name = f"g{len(defs)}"
        dx, dy = shape.offset if local else (0.0, 0.0)
        x1, y1, x2, y2 = (
            _number(round(v, precision))
            for v in (gradient.x1 - dx, gradient.y1 - dy, gradient.x2 - dx, gradient.y2 - dy)
        )
        defs.append(
            f'<linearGradient id="{name}" gradientUnits="userSpaceOnUse" '
            f'x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}">'
            f'<stop offset="0" stop-color="{to_hex(gradient.start)}"/>'
            f'<stop offset="1" stop-color="{to_hex(gradient.end)}"/></linearGradient>'
        )
        fills.append(f"url(#{name})")
    return (f"<defs>{''.join(defs)}</defs>" if defs else ""), fills


def _document(shapes: list[_Shape], width: int, height: int) -> str:
    """The document as vtracer writes it, one element a line, each path with its translation."""
    defs, fills = _gradient_defs(shapes, local=True, precision=2)
    lines = [_XML_DECLARATION, _svg_root(width, height)] + ([defs] if defs else [])
    for shape, fill in zip(shapes, fills, strict=True):
        dx, dy = (_number(v) for v in shape.offset)
        lines.append(f'<path d="{shape.d}" fill="{fill}" transform="translate({dx},{dy})"/>')
    return "\n".join([*lines, "</svg>", ""])


def _compact_document(shapes: list[_Shape], width: int, height: int, precision: int) -> str:
    """The document with no whitespace between elements and the shortest path data."""
    precision = min(precision, _COMPRESSED_PRECISION)
    defs, fills = _gradient_defs(shapes, local=False, precision=precision)
    paths = (
        f'<path d="{_compact_path(shape.subpaths(), precision)}" fill="{fill}"/>'
        for shape, fill in zip(shapes, fills, strict=True)
    )
    return f"{_svg_root(width, height)}{defs}{''.join(paths)}</svg>"


def _compact_path(subpaths: list[_Subpath], precision: int) -> str:
    """Path data in relative commands (h/v for axis lines, repeated commands left out), the
    coordinates rounded to `precision` decimals. Offsets are taken between rounded points, in
    integer units, so rounding does not accumulate along the path."""
    scale = 10**precision
    written: dict[int, str] = {}  # offsets repeat a lot; formatting is the slow part

    def number(value: int) -> str:
        if value not in written:
            written[value] = _number(value / scale)
        return written[value]

    tokens: list[str] = []
    values: tuple[int, ...]
    last = ""
    cx = cy = 0
    for subpath in subpaths:
        # Plain ints from here on: numpy scalars would make this loop several times slower.
        segments = np.rint(subpath.cubics * scale).astype(np.int64).reshape(-1, 8).tolist()
        sx, sy = segments[0][:2]
        tokens += ["m", number(sx - cx), number(sy - cy)]
        last, cx, cy = "l", sx, sy  # pairs after a move are lines
        for (_, _, x1, y1, x2, y2, x, y), line in zip(
            segments, subpath.lines.tolist(), strict=True
        ):
            if not line:
                command, values = "c", (x1 - cx, y1 - cy, x2 - cx, y2 - cy, x - cx, y - cy)
            elif y == cy:
                if x == cx:
                    continue
                command, values = "h", (x - cx,)
            elif x == cx:
                command, values = "v", (y - cy,)
            else:
                command, values = "l", (x - cx, y - cy)
            if command != last:
                tokens.append(command)
                last = command
            tokens += map(number, values)
            cx, cy = x, y
        if subpath.closed:
            tokens.append("z")
            last, cx, cy = "z", sx, sy
    return _joined(tokens)


def _joined(tokens: list[str]) -> str:
    """Path data tokens with only the separators needed: none next to a command letter, before
    a minus sign, or before a leading "." after a number that has its own point."""
    text = []
    previous = "z"
    for token in tokens:
        after_number = not token[0].isalpha() and not previous[-1].isalpha()
        if after_number and token[0] != "-" and not (token[0] == "." and "." in previous):
            text.append(" ")
        text.append(token)
        previous = token
    return "".join(text)


def _number(value: float) -> str:
    """Shortest decimal form: no trailing zeros, point or leading zero ("-.5"), no "-0"."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    if text in ("", "-0"):
        return "0"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def _parse_hex(hex_colour: str) -> RGB:
    return (int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16))


def _colour_distance(a: RGB, b: RGB) -> float:
    """Squared "redmean" distance: a cheap perceptual weighting of RGB differences."""
    red_mean = (a[0] + b[0]) / 2
    dr, dg, db = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return (2 + red_mean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - red_mean) / 256) * db * db


class Vectorizer(Vectorizing):
    """The vectorize tool: vtracer, with the options above."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Vectorizer:
        return cls()

    def vectorize(self, image: Image.Image, options: VectorizeOptions) -> str:
        return vectorize(image, options)
