"""SVG scenes: flat landscapes for ``vector_illustration`` and centred glyphs for ``icon``."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from atelier.engines.base import RGB
from atelier.engines.preview.scene import Scene, words
from atelier.engines.preview.shapes import (
    Paint,
    Ring,
    Shape,
    SvgWriter,
    bird,
    circle,
    ellipse,
    lens,
    profile,
    rect,
    ridge,
    rounded_rect,
    star,
    translate,
    vertical,
)
from atelier.imaging.colors import contrasting, luminance

# --- vector illustration ----------------------------------------------------------------------


def _flat_gradient(scene: Scene, top_y: float, bottom_y: float, color: RGB, amount: float) -> Paint:
    """A gentle two-stop vertical gradient; flat colour when the look or request wants flat."""
    if scene.palette.explicit or not (scene.look.gradient or scene.complexity >= 0.4):
        return color
    return vertical(top_y, bottom_y, color, scene.tone(color, amount))


def _vector_sky(scene: Scene, horizon: float) -> list[Shape]:
    w, h = scene.width, scene.height
    bg = scene.grade(scene.palette.background)
    sky = rect(0, 0, w, h)
    if scene.palette.fixed_background or scene.palette.explicit:
        return [Shape((sky,), bg)]
    top = scene.grade(scene.tone(scene.palette.color(3), 0.45))
    return [Shape((sky,), vertical(0, horizon, top, bg))]


def _vector_sun(scene: Scene, ink: RGB, horizon: float) -> list[Shape]:
    r = min(scene.width, scene.height) * scene.rng.uniform(0.08, 0.13)
    cx, cy = scene.rng.uniform(0.2, 0.8) * scene.width, horizon * scene.rng.uniform(0.3, 0.6)
    color = scene.grade(scene.palette.color(0))
    shapes = []
    if scene.complexity >= 0.6:
        shapes.append(
            Shape((circle(cx, cy, r * 1.35),), scene.grade(scene.tone(color, 0.55)), opacity=0.6)
        )
    return shapes + scene.styled(
        (circle(cx, cy, r),), color, ink if scene.look.outline > 1 else None
    )


def _cloud(cx: float, cy: float, s: float, n: int = 72) -> Ring:
    """One outline around overlapping puffs with a flat base.

    Traced by casting rays from a point inside the puffs and keeping the farthest circle
    exit, so fills and strokes (line-art styles) both see a single clean shape.
    """
    puffs = (
        (-0.6, -0.1, 0.45),
        (0.0, -0.35, 0.6),
        (0.6, -0.12, 0.45),
        (-1.0, 0.1, 0.3),
        (1.0, 0.1, 0.3),
    )
    origin = (0.0, 0.0)
    ring = []
    for t in np.linspace(0, 2 * math.pi, n, endpoint=False):
        ux, uy = math.cos(t), math.sin(t)
        reach = 0.0
        for ox, oy, r in puffs:
            dx, dy = origin[0] - ox, origin[1] - oy
            along = dx * ux + dy * uy
            disc = along * along - (dx * dx + dy * dy) + r * r
            if disc >= 0:
                reach = max(reach, -along + math.sqrt(disc))
        x, y = ux * reach, min(uy * reach, 0.3)  # flat base
        ring.append((cx + x * s, cy + y * s))
    return tuple(ring)


def _vector_layers(scene: Scene, ink: RGB, horizon: float) -> tuple[list[Shape], np.ndarray]:
    """Hill bands far to near (peaks first when the scene has mountains), water in between."""
    w, h = scene.width, scene.height
    shapes: list[Shape] = []
    layers = 2 + round(2 * scene.complexity)
    water = "water" in scene.elements
    heights = np.zeros(1)
    outline = ink if scene.look.outline > 1 else None
    for i in range(layers):
        jagged = i == 0 and "mountains" in scene.elements
        n = 9 if jagged else 60
        p = profile(scene.rng, n, 0.6 if jagged else 0.3, octaves=2 if jagged else 3)
        base = horizon + (h - horizon) * (0.05 + 0.6 * i / layers)
        amp = (0.22 if jagged else 0.06) * h
        heights = base - amp * (0.5 + 0.5 * p)
        if water and i > 0:
            # Near the water the land only rises on one side: a shore, not a band.
            heights = heights + np.linspace(-0.1, 0.5, n)[:: 1 if i % 2 else -1] * h
        color = scene.grade(scene.palette.color(i + 1))
        fill = _flat_gradient(scene, float(heights.min()), h, color, -0.2)
        shapes += scene.styled((ridge(w, h + 4, heights),), fill, outline)
        if water and i == 0:
            shapes += _vector_water(scene, horizon + (h - horizon) * 0.05)
    return shapes, heights


def _vector_water(scene: Scene, top: float) -> list[Shape]:
    w, h = scene.width, scene.height
    # Water mirrors the sky: a lightened ramp colour, like the sky gradient's top.
    color = scene.grade(scene.tone(scene.palette.color(3), 0.35))
    shapes = [Shape((rect(0, top, w, h),), _flat_gradient(scene, top, h, color, -0.25))]
    line = scene.grade(scene.tone(scene.palette.color(3), 0.75))
    for _ in range(scene.count(2, 10)):
        x, y = scene.rng.uniform(0, 0.9) * w, scene.rng.uniform(top + 0.02 * h, h)
        length = scene.rng.uniform(0.04, 0.12) * w
        stroke = ((x, y), (x + length, y))
        shapes.append(Shape((stroke,), None, line, 3 * scene.unit, closed=False))
    return shapes


def _vector_birds(scene: Scene, ink: RGB, horizon: float) -> list[Shape]:
    shapes = []
    cx, cy = scene.rng.uniform(0.2, 0.8) * scene.width, scene.rng.uniform(0.2, 0.5) * horizon
    for _ in range(scene.count(2, 7)):
        x = cx + scene.rng.normal(0, 0.06 * scene.width)
        y = cy + scene.rng.normal(0, 0.04 * horizon)
        s = scene.rng.uniform(10, 20) * scene.unit
        wing = bird(x, y, s)
        shapes.append(Shape((wing,), None, ink, 3 * scene.unit, closed=False))
    return shapes


def _vector_trees(scene: Scene, ink: RGB, heights: np.ndarray) -> list[Shape]:
    w, h = scene.width, scene.height
    xs = np.linspace(-2.0, w + 2.0, len(heights))
    crown = scene.grade(scene.tone(scene.palette.color(2), -0.25))
    trunk = scene.grade(scene.tone(scene.palette.dark, -0.3))
    shapes = []
    for _ in range(scene.count(2, 12)):
        x = scene.rng.uniform(0.03, 0.97) * w
        y = float(np.interp(x, xs, heights)) + 0.015 * h
        s = scene.rng.uniform(0.05, 0.1) * h
        shapes += scene.styled((rect(x - s * 0.06, y - s * 0.5, x + s * 0.06, y),), trunk, None)
        if scene.rng.random() < 0.5:
            shape: Ring = (
                (x, y - s * 1.6),
                (x + s * 0.4, y - s * 0.35),
                (x - s * 0.4, y - s * 0.35),
            )
        else:
            shape = ellipse(x, y - s * 0.95, s * 0.38, s * 0.55, 40)
        shapes += scene.styled((shape,), crown, ink if scene.look.outline > 1 else None)
    return shapes


def _vector_scene(scene: Scene, svg: SvgWriter, ink: RGB, horizon: float) -> None:
    w = scene.width
    if {"sun", "moon"} & scene.elements:
        svg.add_all(_vector_sun(scene, ink, horizon))
    if "clouds" in scene.elements:
        cloud_c = scene.grade(scene.tone(scene.palette.light, 0.6))
        for _ in range(scene.count(1, 4)):
            cx, cy = scene.rng.uniform(0.1, 0.9) * w, horizon * scene.rng.uniform(0.15, 0.6)
            cloud = _cloud(cx, cy, scene.rng.uniform(0.04, 0.08) * w)
            svg.add_all(scene.styled((cloud,), cloud_c, None))
    if "birds" in scene.elements and scene.complexity >= 0.4:
        svg.add_all(_vector_birds(scene, ink, horizon))
    layers, nearest = _vector_layers(scene, ink, horizon)
    svg.add_all(layers)
    if "forest" in scene.elements or scene.complexity >= 0.7:
        svg.add_all(_vector_trees(scene, ink, nearest))


def vector_illustration(scene: Scene) -> str:
    w, h = scene.width, scene.height
    svg = SvgWriter(w, h)
    ink = scene.grade(scene.tone(scene.palette.dark, -0.5))
    horizon = h * scene.rng.uniform(0.45, 0.6)
    svg.add_all(_vector_sky(scene, horizon))
    if not scene.palette.fixed_background:
        _vector_scene(scene, svg, ink, horizon)
        return svg.document()
    # On a requested background the scene sits in a circle, like a spot illustration.
    frame = circle(w / 2, h / 2, min(w, h) * 0.38, 96)
    svg.begin_clip(frame)
    svg.add(Shape((rect(0, 0, w, h),), scene.grade(scene.tone(scene.palette.color(3), 0.5))))
    _vector_scene(scene, svg, ink, horizon)
    svg.end_group()
    svg.add(Shape((frame,), None, ink, 5 * scene.unit))
    return svg.document()


# --- icons ------------------------------------------------------------------------------------

# Glyphs are drawn in a unit box (-1..1, y down) and scaled to the image afterwards.
Glyph = list[tuple[tuple[Ring, ...], int]]  # (rings, colour role: 0 primary, 1 secondary)


def _polar(fn: Callable[[float], float], n: int = 120) -> Ring:
    return tuple(
        (fn(t) * math.cos(t), fn(t) * math.sin(t))
        for t in np.linspace(0, 2 * math.pi, n, endpoint=False)
    )


def _house() -> Glyph:
    roof: Ring = (
        (-1.0, -0.05),
        (0.0, -0.95),
        (1.0, -0.05),
        (0.8, -0.05),
        (0.0, -0.7),
        (-0.8, -0.05),
    )
    body = ((-0.68, -0.05), (0.68, -0.05), (0.68, 0.9), (-0.68, 0.9))
    door = rect(-0.18, 0.35, 0.18, 0.9)
    return [((body, door), 0), ((roof,), 1)]


def _heart() -> Glyph:
    pts = []
    for t in np.linspace(0, 2 * math.pi, 120, endpoint=False):
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((x / 17, -y / 17 + 0.1))
    return [((tuple(pts),), 0)]


def _bolt() -> Glyph:
    return [
        (
            (
                (
                    (0.15, -1.0),
                    (-0.6, 0.15),
                    (-0.05, 0.15),
                    (-0.2, 1.0),
                    (0.6, -0.2),
                    (0.05, -0.2),
                    (0.3, -1.0),
                ),
            ),
            0,
        )
    ]


def _leaf() -> Glyph:
    blade = lens(0.0, 0.0, 2.1, 1.1, -math.pi / 4)
    vein = lens(0.05, -0.05, 1.7, 0.07, -math.pi / 4)
    return [((blade,), 0), ((vein,), 1)]


def _drop() -> Glyph:
    pts = [(0.0, -1.0)]
    for t in np.linspace(-0.25 * math.pi, 1.25 * math.pi, 60):
        pts.append((0.68 * math.cos(t), 0.3 + 0.68 * math.sin(t)))
    shine = ellipse(-0.3, 0.3, 0.1, 0.22, 24, 0.3)
    return [((tuple(pts),), 0), ((shine,), 1)]


def _gear() -> Glyph:
    teeth = _polar(lambda t: 0.78 + 0.2 * np.tanh(4 * math.sin(8 * t)), 192)
    return [((teeth, circle(0, 0, 0.33, 48)), 0)]


def _pin() -> Glyph:
    pts = [(0.0, 1.0)]
    for t in np.linspace(0.8 * math.pi, 2.2 * math.pi, 60):
        pts.append((0.72 * math.cos(t), -0.25 + 0.72 * math.sin(t)))
    return [((tuple(pts), circle(0, -0.25, 0.28, 40)), 0)]


def _mountain() -> Glyph:
    ridge_: Ring = ((-1.0, 0.8), (-0.35, -0.45), (0.02, 0.1), (0.38, -0.25), (1.0, 0.8))
    return [((ridge_,), 0), ((circle(0.55, -0.65, 0.2, 32),), 1)]


def _sun() -> Glyph:
    rays = star(0, 0, 1.0, 0.7, 10)
    return [((rays, circle(0, 0, 0.62, 48)), 1), ((circle(0, 0, 0.52, 48),), 0)]


def _flower() -> Glyph:
    petals = _polar(lambda t: 0.45 + 0.5 * abs(math.cos(2.5 * t)), 200)
    return [((petals,), 0), ((circle(0, 0, 0.28, 40),), 1)]


def _star() -> Glyph:
    return [((star(0, 0.08, 1.0, 0.45, 5),), 0)]


GLYPHS: dict[str, Callable[[], Glyph]] = {
    "house": _house,
    "heart": _heart,
    "bolt": _bolt,
    "leaf": _leaf,
    "drop": _drop,
    "gear": _gear,
    "pin": _pin,
    "mountain": _mountain,
    "sun": _sun,
    "flower": _flower,
    "star": _star,
}
_GLYPH_WORDS: dict[str, str] = {
    **dict.fromkeys(("home", "house", "building", "real"), "house"),
    **dict.fromkeys(("heart", "love", "like", "favorite", "health"), "heart"),
    **dict.fromkeys(("bolt", "lightning", "energy", "power", "electric", "flash", "fast"), "bolt"),
    **dict.fromkeys(("leaf", "plant", "eco", "nature", "green", "organic", "tea"), "leaf"),
    **dict.fromkeys(("drop", "water", "rain", "liquid", "oil", "ink"), "drop"),
    **dict.fromkeys(("gear", "settings", "cog", "tool", "tools", "engine", "config"), "gear"),
    **dict.fromkeys(("pin", "location", "map", "place", "address", "gps", "marker"), "pin"),
    **dict.fromkeys(
        ("mountain", "mountains", "travel", "outdoor", "hiking", "landscape"), "mountain"
    ),
    **dict.fromkeys(("sun", "sunny", "weather", "summer", "day", "light"), "sun"),
    **dict.fromkeys(("flower", "flowers", "garden", "spring", "bloom", "rose"), "flower"),
    **dict.fromkeys(("star", "stars", "favourite", "rating", "award", "best"), "star"),
}


def glyph_for(prompt: str, digest: bytes) -> str:
    """The glyph a prompt names (first matching word), else one picked by the prompt hash."""
    for word in sorted(words(prompt) & _GLYPH_WORDS.keys(), key=prompt.lower().find):
        return _GLYPH_WORDS[word]
    names = sorted(GLYPHS)
    return names[digest[24] % len(names)]


def _place(ring: Ring, cx: float, cy: float, s: float) -> Ring:
    return tuple((cx + x * s, cy + y * s) for x, y in ring)


def _icon_colors(scene: Scene) -> tuple[RGB, RGB, RGB]:
    pal = scene.palette
    primary, secondary = scene.grade(pal.color(0)), scene.grade(pal.color(1))
    if scene.look.mono:
        primary = secondary = contrasting(pal.background, ())
    ink = scene.grade(scene.tone(pal.dark, -0.55)) if not scene.look.mono else primary
    return primary, secondary, ink


def _icon_paint(scene: Scene, role: int, colors: tuple[RGB, RGB], cy: float, s: float) -> Paint:
    color = colors[role]
    if scene.look.gradient and not scene.palette.explicit:
        other = colors[1 - role] if colors[0] != colors[1] else scene.tone(color, 0.4)
        return vertical(cy - s, cy + s, scene.tone(color, 0.15), other)
    return color


def icon(scene: Scene, prompt: str) -> str:
    w, h = scene.width, scene.height
    svg = SvgWriter(w, h)
    pal = scene.palette
    svg.add(Shape((rect(0, 0, w, h),), pal.background))
    primary, secondary, ink = _icon_colors(scene)
    cx, cy = w / 2, h / 2
    s = min(w, h) * (0.3 if scene.complexity >= 0.2 else 0.36)
    if scene.complexity >= 0.2:
        plate_c = scene.tone(secondary, 0.75) if not pal.explicit else secondary
        if abs(luminance(plate_c) - luminance(primary)) < 0.12:
            plate_c = pal.background if pal.explicit else scene.tone(primary, 0.8)
        plate = (
            circle(cx, cy, s * 1.45, 96)
            if scene.digest[25] % 2
            else rounded_rect(cx - s * 1.4, cy - s * 1.4, cx + s * 1.4, cy + s * 1.4, s * 0.4)
        )
        svg.add_all(scene.styled((plate,), plate_c, None))
    glyph = GLYPHS[glyph_for(prompt, scene.digest)]()
    stroke_w = 0.07 * s * scene.look.outline
    for rings, role in glyph:
        placed = tuple(_place(r, cx, cy, s) for r in rings)
        paint = _icon_paint(scene, role, (primary, secondary), cy, s)
        if scene.look.offset_fill:
            off = 0.12 * s
            svg.add(Shape(tuple(translate(r, off, off) for r in placed), paint))
            svg.add(Shape(placed, None, ink, stroke_w))
        elif scene.look.strokes_only:
            stroke = paint if isinstance(paint, tuple) else primary
            svg.add(Shape(placed, None, stroke, stroke_w, dashed=scene.look.dashed))
        else:
            svg.add_all(scene.styled(placed, paint, ink if scene.look.outline > 1 else None))
    if scene.complexity >= 0.6:
        svg.add_all(_icon_sparkles(scene, cx, cy, s, secondary))
    return svg.document()


def _icon_sparkles(scene: Scene, cx: float, cy: float, s: float, color: RGB) -> list[Shape]:
    shapes = []
    for k in range(scene.count(1, 4)):
        a = -math.pi / 4 + k * 1.9 + scene.rng.uniform(-0.2, 0.2)
        x, y = cx + 1.2 * s * math.cos(a), cy + 1.2 * s * math.sin(a)
        size = s * scene.rng.uniform(0.1, 0.18)
        shapes.append(Shape((star(x, y, size, size * 0.3, 4),), color))
    return shapes
