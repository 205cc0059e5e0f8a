"""Digital illustrations: bold outlined poster compositions (landscape, sea, skyline, cosmos)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from atelier.engines.base import RGB
from atelier.engines.preview.looks import apply_look
from atelier.engines.preview.scene import Scene
from atelier.engines.preview.shapes import (
    Radial,
    Ring,
    Shape,
    circle,
    coverage,
    ellipse,
    lens,
    paint_shapes,
    profile,
    rect,
    ridge,
    star,
    vertical,
)
from atelier.imaging.colors import contrasting, mix

# --- pieces -----------------------------------------------------------------------------------


def _band(scene: Scene, xs: np.ndarray, heights: np.ndarray) -> Ring:
    """The area under a top edge given at ``xs``, down past the bottom of the image."""
    return ridge(scene.width, scene.height + 10.0, heights, xs)


def _sun_disc(scene: Scene, cx: float, cy: float, r: float, ink: RGB) -> list[Shape]:
    """A shaded disc with halo rings and, on busier levels, light rays."""
    sun_c = scene.palette.color(0)
    shapes: list[Shape] = []
    if scene.complexity > 0.5:
        # Light rays as one polygon of wedges meeting at the centre: a single mask to paint.
        far = max(scene.width, scene.height) * 1.5
        wedges: list[tuple[float, float]] = []
        for k in range(scene.count(6, 16)):
            a = 2 * math.pi * k / 16 + scene.rng.uniform(0, 0.2)
            wedges += [
                (cx, cy),
                (cx + far * math.cos(a - 0.05), cy + far * math.sin(a - 0.05)),
                (cx + far * math.cos(a + 0.05), cy + far * math.sin(a + 0.05)),
            ]
        shapes.append(Shape((tuple(wedges),), scene.tone(sun_c, 0.6), opacity=0.12))
    for k in range(scene.count(0, 3)):
        halo = circle(cx, cy, r * (1.25 + 0.22 * k))
        shapes.append(Shape((halo,), None, sun_c, 4 * scene.unit, opacity=0.5))
    highlight = (cx - r * 0.3, cy - r * 0.3)
    fill = Radial(highlight, r * 1.4, ((0.0, scene.tone(sun_c, 0.5)), (1.0, sun_c)))
    return shapes + scene.styled((circle(cx, cy, r, 96),), fill, ink, 5)


def _layer_color(scene: Scene, i: int, layers: int, haze: RGB) -> RGB:
    depth = 1.0 - i / max(1, layers - 1)  # 1 = farthest
    # Walk the light-to-dark ramp (colors 1..4) from back to front, whatever the layer count.
    ramp = 1 + round(3 * (1.0 - depth))
    return scene.haze(scene.palette.color(ramp), haze, 0.45 * depth)


def _filled_band(scene: Scene, ring: Ring, top_y: float, color: RGB, ink: RGB) -> list[Shape]:
    fill = vertical(top_y, scene.height, scene.tone(color, 0.12), scene.tone(color, -0.3))
    return scene.styled((ring,), fill, ink, 4)


def _peaks(scene: Scene, base: float, color: RGB, ink: RGB) -> list[Shape]:
    w, h = scene.width, scene.height
    n = 2 * int(scene.rng.integers(3, 6)) + 1
    xs = np.linspace(-0.05 * w, 1.05 * w, n) + scene.rng.uniform(-0.03, 0.03, n) * w
    is_peak = np.arange(n) % 2 == 1
    jag = np.where(is_peak, scene.rng.uniform(0.1, 0.3, n), scene.rng.uniform(0.0, 0.07, n)) * h
    heights = base - 0.04 * h - jag
    return _filled_band(scene, _band(scene, xs, heights), float(heights.min()), color, ink)


def _hill(scene: Scene, base: float, amplitude: float, color: RGB, ink: RGB) -> list[Shape]:
    xs = np.linspace(-0.05 * scene.width, 1.05 * scene.width, 90)
    heights = base - amplitude * (1 + profile(scene.rng, 90, 0.35, 3))
    return _filled_band(scene, _band(scene, xs, heights), float(heights.min()), color, ink)


def _leaves(scene: Scene, ink: RGB) -> list[Shape]:
    """Foreground foliage growing in fans from the bottom corners."""
    w, h = scene.width, scene.height
    shapes = []
    color = scene.tone(scene.palette.color(4), -0.1)
    for k in range(scene.count(0, 10)):
        left = k % 2 == 0
        root_x = (0.0 if left else w) + (1 if left else -1) * scene.rng.uniform(0, 0.12) * w
        length = scene.rng.uniform(0.14, 0.28) * h
        lean = scene.rng.uniform(0.15, 0.9)
        angle = -math.pi / 2 + (lean if left else -lean)
        cx = root_x + math.cos(angle) * length / 2
        cy = h + 0.02 * h + math.sin(angle) * length / 2
        leaf = lens(cx, cy, length, length * 0.3, angle)
        shapes += scene.styled((leaf,), scene.tone(color, 0.1 * (k % 3)), ink, 3)
    return shapes


def _sparkles(scene: Scene, limit_y: float, low: int = 0, high: int = 14) -> list[Shape]:
    shapes = []
    light = scene.tone(scene.palette.color(2), 0.6)
    for _ in range(scene.count(low, high)):
        x, y = scene.rng.uniform(0, scene.width), scene.rng.uniform(0, limit_y)
        s = scene.rng.uniform(6, 18) * scene.unit
        ring = star(x, y, s, s * 0.28, 4) if scene.rng.random() < 0.5 else circle(x, y, s * 0.35)
        shapes.append(Shape((ring,), light, opacity=0.9))
    return shapes


# --- compositions -----------------------------------------------------------------------------


def _landscape(scene: Scene, ink: RGB, haze: RGB) -> list[Shape]:
    w, h = scene.width, scene.height
    shapes = _sparkles(scene, h * 0.5)
    r = min(w, h) * scene.rng.uniform(0.14, 0.22)
    shapes += _sun_disc(
        scene, scene.rng.uniform(0.25, 0.75) * w, scene.rng.uniform(0.22, 0.38) * h, r, ink
    )
    layers = 2 + round(2 * scene.complexity)
    for i in range(layers):
        base = h * (0.58 + 0.34 * i / layers)
        color = _layer_color(scene, i, layers, haze)
        depth = 1.0 - i / max(1, layers - 1)
        if i == 0:
            shapes += _peaks(scene, base, color, ink)
        else:
            shapes += _hill(scene, base, (0.03 + 0.05 * depth) * h, color, ink)
    return shapes + _leaves(scene, ink)


def _waves(scene: Scene, ink: RGB, haze: RGB) -> list[Shape]:
    """A sun setting into a sea of stylised wave bands, maybe a sailboat."""
    w, h = scene.width, scene.height
    horizon = h * scene.rng.uniform(0.45, 0.6)
    r = min(w, h) * scene.rng.uniform(0.15, 0.24)
    shapes = _sparkles(scene, horizon * 0.7)
    shapes += _sun_disc(scene, scene.rng.uniform(0.3, 0.7) * w, horizon - r * 0.35, r, ink)
    bands = 3 + round(3 * scene.complexity)
    xs = np.linspace(-0.05 * w, 1.05 * w, 160)
    for i in range(bands):
        base = horizon + (h - horizon) * i / bands
        crests = scene.rng.uniform(3, 7) + i
        phase = scene.rng.uniform(0, 2 * math.pi)
        amp = (0.008 + 0.01 * i) * h
        heights = base - amp * np.abs(np.sin(np.linspace(0, crests * math.pi, len(xs)) + phase))
        color = _layer_color(scene, i, bands, haze)
        shapes += _filled_band(scene, _band(scene, xs, heights), base - amp, color, ink)
        if i == 0 and scene.complexity >= 0.4:
            shapes += _boat(scene, scene.rng.uniform(0.15, 0.85) * w, base, ink)
    return shapes


def _boat(scene: Scene, x: float, y: float, ink: RGB) -> list[Shape]:
    s = min(scene.width, scene.height) * scene.rng.uniform(0.05, 0.08)
    hull = (
        (x - s, y - s * 0.25),
        (x + s, y - s * 0.25),
        (x + s * 0.7, y + s * 0.1),
        (x - s * 0.7, y + s * 0.1),
    )
    sail = ((x - s * 0.05, y - s * 1.6), (x - s * 0.05, y - s * 0.35), (x - s * 0.9, y - s * 0.35))
    jib = ((x + s * 0.05, y - s * 1.3), (x + s * 0.75, y - s * 0.35), (x + s * 0.05, y - s * 0.35))
    light = scene.tone(scene.palette.light, 0.5)
    return (
        scene.styled((hull,), scene.tone(scene.palette.dark, -0.2), ink, 3)
        + scene.styled((sail,), light, ink, 3)
        + scene.styled((jib,), light, ink, 3)
    )


def _skyline(scene: Scene, ink: RGB, haze: RGB) -> list[Shape]:
    """Rows of buildings under a big sun or moon, windows lit in the accent colour."""
    w, h = scene.width, scene.height
    ground = h * scene.rng.uniform(0.78, 0.88)
    shapes = _sparkles(scene, h * 0.45)
    r = min(w, h) * scene.rng.uniform(0.13, 0.2)
    shapes += _sun_disc(
        scene, scene.rng.uniform(0.25, 0.75) * w, h * scene.rng.uniform(0.22, 0.35), r, ink
    )
    rows = 2 + round(scene.complexity)
    window = scene.tone(scene.palette.color(0), 0.3)
    for row in range(rows):
        color = _layer_color(scene, row, rows + 1, haze)
        x = -scene.rng.uniform(0, 0.05) * w
        while x < w:
            bw = scene.rng.uniform(0.05, 0.12) * w
            top = ground - scene.rng.uniform(0.15, 0.5 - 0.1 * row) * h
            shapes += _filled_band(scene, rect(x, top, x + bw, h + 10), top, color, ink)
            shapes += _windows(scene, x, top, bw, ground, window)
            x += bw + scene.rng.uniform(0, 0.02) * w
    return shapes + _hill(
        scene, ground + 0.04 * h, 0.02 * h, _layer_color(scene, rows, rows + 1, haze), ink
    )


def _windows(
    scene: Scene, x: float, top: float, bw: float, ground: float, color: RGB
) -> list[Shape]:
    if scene.complexity < 0.3:
        return []
    shapes = []
    size = bw / 7
    cols = 3
    for row_y in np.arange(top + size, ground - size, size * 2.2):
        for c in range(cols):
            if scene.rng.random() < 0.55:
                wx = x + size * (1 + 2 * c)
                shapes.append(Shape((rect(wx, row_y, wx + size, row_y + size * 1.2),), color))
    return shapes


def _cosmos(scene: Scene, ink: RGB, haze: RGB) -> list[Shape]:
    """A ringed planet and moons over a silhouetted horizon, with stars."""
    w, h = scene.width, scene.height
    shapes = _sparkles(scene, h * 0.8, 8, 40)
    cx, cy = scene.rng.uniform(0.3, 0.7) * w, scene.rng.uniform(0.3, 0.42) * h
    r = min(w, h) * scene.rng.uniform(0.16, 0.24)
    tilt = scene.rng.uniform(-0.5, 0.5)
    ring_c = scene.tone(scene.palette.color(2), 0.3)
    back = ellipse(cx, cy, r * 1.8, r * 0.45, 96, tilt)
    shapes.append(Shape((back,), None, ring_c, 9 * scene.unit))
    shapes += _sun_disc(scene, cx, cy, r, ink)
    # The front half of the ring passes over the planet.
    front = tuple(p for p in ellipse(cx, cy, r * 1.8, r * 0.45, 96, tilt)[:49])
    shapes.append(Shape((front,), None, ring_c, 9 * scene.unit, closed=False))
    for _ in range(scene.count(0, 3)):
        mx, my = scene.rng.uniform(0.1, 0.9) * w, scene.rng.uniform(0.08, 0.5) * h
        mr = r * scene.rng.uniform(0.12, 0.3)
        shapes += scene.styled(
            (circle(mx, my, mr),), scene.tone(scene.palette.color(3), 0.2), ink, 3
        )
    shapes += _hill(scene, h * 0.9, 0.05 * h, _layer_color(scene, 3, 4, haze), ink)
    return shapes


COMPOSITIONS: dict[str, Callable[[Scene, RGB, RGB], list[Shape]]] = {
    "landscape": _landscape,
    "waves": _waves,
    "skyline": _skyline,
    "cosmos": _cosmos,
}


def composition_for(scene: Scene) -> str:
    """Named scene elements pick the composition; otherwise the seed does."""
    for element, name in (("city", "skyline"), ("night", "cosmos"), ("water", "waves")):
        if element in scene.elements:
            return name
    return ("landscape", "landscape", "waves", "skyline", "cosmos")[int(scene.rng.integers(0, 5))]


# --- the family -------------------------------------------------------------------------------


def _arch(cx: float, cy: float, fw: float, fh: float) -> Ring:
    """A window-arch frame: a half circle on top of a rectangle."""
    r = fw / 2
    center_y = cy - fh / 2 + r
    arc = [
        (cx + r * math.cos(math.pi * (1 + i / 32)), center_y + r * math.sin(math.pi * (1 + i / 32)))
        for i in range(33)
    ]
    return (*arc, (cx + r, cy + fh / 2), (cx - r, cy + fh / 2))


def _framed(scene: Scene, picture: Image.Image) -> Image.Image:
    """The picture seen through an arch on the flat requested background."""
    w, h = picture.size
    side = min(w, h)
    frame = _arch(w / 2, h / 2, side * 0.62, min(h * 0.84, side * 0.62 * 1.3))
    canvas = Image.new("RGB", (w, h), scene.palette.background)
    canvas.paste(picture, (0, 0), coverage((w, h), frame))
    ink = contrasting(scene.palette.background, scene.palette.colors)
    paint_shapes(canvas, [Shape((frame,), None, ink, 6 * scene.unit)])
    return canvas


def illustration(scene: Scene) -> Image.Image:
    w, h = scene.width, scene.height
    pal = scene.palette
    ink = scene.tone(pal.dark, -0.5)
    image = Image.new("RGB", (w, h), pal.background)
    haze = mix(pal.background, pal.color(2), 0.45)
    if not pal.explicit:
        paint_shapes(
            image, [Shape((rect(0, 0, w, h),), vertical(0, h * 0.7, pal.background, haze))]
        )
    paint_shapes(image, COMPOSITIONS[composition_for(scene)](scene, ink, haze))
    look = scene.look.without_grading() if pal.explicit else scene.look
    image = apply_look(image, look, scene.rng)
    return _framed(scene, image) if pal.fixed_background else image
