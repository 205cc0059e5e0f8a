"""Raster scenes: photo-like landscapes and studio still lifes (realistic), and logo badges."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from atelier.engines.base import RGB
from atelier.engines.preview.looks import apply_look
from atelier.engines.preview.scene import Scene
from atelier.engines.preview.shapes import (
    Radial,
    Ring,
    Shape,
    bird,
    circle,
    ellipse,
    lens,
    paint_shapes,
    profile,
    rect,
    regular,
    ridge,
    rounded_rect,
    star,
    vertical,
)
from atelier.imaging.colors import contrasting, lighten, luminance, mix
from atelier.imaging.text_layout import load_font

# --- shared helpers ---------------------------------------------------------------------------


def _soft_blobs(
    image: Image.Image, blobs: list[tuple[float, float, float, float]], color: RGB, opacity: float
) -> None:
    """Paint blurry ellipses (cx, cy, rx, ry): drawn at 1/8 size, blurred, upscaled — cheap."""
    w, h = image.size
    f = 8
    small = Image.new("L", (max(1, w // f), max(1, h // f)), 0)
    draw = ImageDraw.Draw(small)
    for cx, cy, rx, ry in blobs:
        draw.ellipse((cx / f - rx / f, cy / f - ry / f, cx / f + rx / f, cy / f + ry / f), fill=255)
    mask = small.filter(ImageFilter.GaussianBlur(1.6)).resize((w, h), Image.Resampling.BILINEAR)
    mask = mask.point(lambda v: round(v * opacity))
    image.paste(color, (0, 0), mask)


# --- realistic: landscape ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Light:
    """The colours of a time of day."""

    top: RGB
    horizon: RGB
    sun: RGB
    land: RGB


_TIMES_OF_DAY: dict[str, _Light] = {
    "day": _Light((64, 125, 196), (196, 222, 240), (255, 250, 232), (46, 92, 58)),
    "golden": _Light((86, 132, 190), (250, 208, 150), (255, 236, 190), (70, 78, 46)),
    "sunset": _Light((58, 52, 112), (248, 160, 104), (255, 214, 150), (48, 32, 58)),
    "misty": _Light((150, 168, 190), (226, 226, 222), (250, 246, 236), (78, 96, 100)),
    "night": _Light((8, 14, 38), (38, 58, 98), (236, 236, 218), (12, 18, 30)),
}
_GROUNDS: dict[str, RGB] = {"snow": (200, 214, 230), "desert": (186, 132, 76)}


def _light(scene: Scene) -> _Light:
    pal = scene.palette
    if not pal.generated:
        # Request or style colours: the lightest is the sky, the darkest the ground.
        ordered = sorted(pal.colors, key=luminance, reverse=True)
        return _Light(pal.background, scene.tone(pal.background, 0.3), ordered[0], ordered[-1])
    el = scene.elements
    if "night" in el:
        name = "night"
    elif "sunset" in el:
        name = "sunset"
    elif "mist" in el:
        name = "misty"
    else:
        name = ("day", "day", "golden", "sunset", "misty")[scene.digest[20] % 5]
    light = _TIMES_OF_DAY[name]
    ground = next((_GROUNDS[g] for g in ("snow", "desert") if g in el), None)
    if ground is not None:
        light = replace(light, land=mix(ground, light.land, 0.3))
    # A touch of the prompt palette keeps two prompts with the same time of day apart.
    return replace(light, land=mix(light.land, pal.color(0), 0.2))


def _sky(scene: Scene, light: _Light, horizon: float, sun: tuple[float, float]) -> Image.Image:
    """Vertical gradient plus a glow around the sun, computed coarse and upscaled."""
    w, h = scene.width, scene.height
    gh, gw = 48, max(8, round(48 * w / h))
    ys = np.linspace(0, h, gh)[:, None]
    xs = np.linspace(0, w, gw)[None, :]
    t = np.clip(ys / horizon, 0.0, 1.0) ** 0.9
    top, hor, sun_c = (np.array(c, dtype=float) for c in (light.top, light.horizon, light.sun))
    sky = top + (hor - top) * t[..., None]
    sky = np.broadcast_to(sky, (gh, gw, 3)).copy()
    if not scene.palette.explicit:
        dist = np.hypot(xs - sun[0], ys - sun[1]) / min(w, h)
        strength = 0.25 if "night" in scene.elements else 0.55
        glow = strength * np.exp(-((dist / 0.32) ** 2))
        sky += (sun_c - sky) * glow[..., None]
    small = Image.fromarray(np.clip(np.round(sky), 0, 255).astype(np.uint8))
    return small.resize((w, h), Image.Resampling.BILINEAR)


def _stars(scene: Scene, image: Image.Image, horizon: float) -> None:
    draw = ImageDraw.Draw(image)
    for _ in range(scene.count(60, 260)):
        x = scene.rng.uniform(0, scene.width)
        y = scene.rng.uniform(0, horizon * 0.85) ** 1.0
        r = scene.rng.uniform(0.4, 1.5) * scene.unit
        level = int(scene.rng.uniform(150, 255))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(level, level, min(255, level + 10)))


def _clouds(scene: Scene, image: Image.Image, light: _Light, horizon: float) -> None:
    blobs = []
    for _ in range(scene.count(0, 7)):
        cx = scene.rng.uniform(0, scene.width)
        cy = scene.rng.uniform(0.08, 0.75) * horizon
        size = scene.rng.uniform(0.05, 0.12) * scene.width
        for _ in range(int(scene.rng.integers(3, 7))):
            blobs.append(
                (
                    cx + scene.rng.normal(0, size * 0.8),
                    cy + scene.rng.normal(0, size * 0.12),
                    size * scene.rng.uniform(0.5, 1.0),
                    size * scene.rng.uniform(0.18, 0.3),
                )
            )
    color = (
        light.sun if scene.palette.explicit else lighten(mix(light.horizon, light.sun, 0.4), 0.35)
    )
    _soft_blobs(image, blobs, color, 0.25 if "night" in scene.elements else 0.75)


def _celestial(scene: Scene, light: _Light, sun: tuple[float, float]) -> list[Shape]:
    r = (0.045 if "sun" in scene.elements else 0.035) * min(scene.width, scene.height)
    if not ({"sun", "moon"} & scene.elements):
        return []
    shapes = [Shape((circle(*sun, r),), light.sun)]
    if "moon" in scene.elements and not scene.palette.explicit:
        shadow = circle(sun[0] + r * 0.35, sun[1] - r * 0.2, r * 0.85)
        shapes.append(Shape((shadow,), light.top, opacity=0.25))
    return shapes


def _mountains(scene: Scene, light: _Light, horizon: float) -> list[Shape]:
    w, h = scene.width, scene.height
    shapes = []
    layers = 1 + (scene.complexity > 0.5)
    for i in range(layers):
        p = profile(scene.rng, 200, 0.55, octaves=5)
        amp = (0.3 - 0.08 * i) * h
        heights = horizon - amp * (0.45 + 0.55 * p) + 0.02 * h
        color = scene.haze(light.land, light.horizon, 0.62 - 0.2 * i)
        peak = float(heights.min())
        snowy = "snow" in scene.elements or scene.digest[21] % 2 == 0
        cap = scene.tone(color, 0.55) if snowy else color
        fill = vertical(peak, horizon, cap, color, scene.haze(color, light.horizon, 0.3))
        shapes.append(Shape((ridge(w, horizon + 0.02 * h, heights),), fill))
    return shapes


def _city(scene: Scene, image: Image.Image, light: _Light, horizon: float) -> None:
    w, h = scene.width, scene.height
    night = "night" in scene.elements
    buildings: list[Shape] = []
    windows = ImageDraw.Draw(image)
    for row in range(2):
        color = scene.haze(light.land, light.horizon, 0.55 - 0.25 * row)
        x = scene.rng.uniform(-0.05, 0) * w
        while x < w:
            bw = scene.rng.uniform(0.025, 0.06) * w
            bh = scene.rng.uniform(0.05, 0.22 - 0.06 * row) * h
            buildings.append(Shape((rect(x, horizon - bh, x + bw, horizon + 0.03 * h),), color))
            x += bw * scene.rng.uniform(0.9, 1.3)
    paint_shapes(image, buildings)
    if night:
        lit = (255, 214, 140)
        for b in buildings[: scene.count(20, 60)]:
            x0, y0 = b.rings[0][0]
            x1 = b.rings[0][1][0]
            for _ in range(6):
                wx = scene.rng.uniform(x0 + 2, max(x0 + 3, x1 - 6))
                wy = scene.rng.uniform(y0 + 4, horizon - 4)
                s = 2.5 * scene.unit
                windows.rectangle((wx, wy, wx + s, wy + s * 1.4), fill=lit)


def _shore(n: int, kind: int, h: float) -> np.ndarray:
    """How far a hill sinks (pixels, across its width) to open a view on water.

    kind 0/1: the land falls away to the right/left; 2: a bay, land on both sides only.
    """
    x = np.linspace(-1.0, 1.0, n)
    if kind == 2:
        return (0.5 - 0.75 * np.abs(x)) * h
    return (x if kind == 0 else -x) * 0.35 * h + 0.1 * h


def _hills(scene: Scene, light: _Light, horizon: float) -> tuple[list[Shape], np.ndarray]:
    """Rolling hill layers, far to near; returns the nearest ridge line for placing trees."""
    w, h = scene.width, scene.height
    layers = 1 + round(2.6 * scene.complexity)
    water = "water" in scene.elements
    shapes, heights = [], np.zeros(1)
    shore = int(scene.rng.integers(0, 3))
    for i in range(layers):
        depth = 1.0 - (i + 1) / layers  # 0 = nearest
        base = horizon + (h - horizon) * (0.12 + 0.55 * (i + 1) / (layers + 1))
        p = profile(scene.rng, 160, 0.35, octaves=3)
        heights = base - (0.03 + 0.05 * depth) * h * (1 + p)
        if water:
            heights = heights + _shore(len(heights), shore, h)
        color = scene.haze(light.land, light.horizon, 0.45 * depth)
        bottom_color = (
            scene.tone(color, -0.3) if depth == 0 else scene.haze(color, light.horizon, 0.3)
        )
        fill = vertical(float(heights.min()), h, color, bottom_color)
        shapes.append(Shape((ridge(w, h + 2, heights),), fill))
    return shapes, heights


def _water(scene: Scene, light: _Light, horizon: float, sun: tuple[float, float]) -> list[Shape]:
    w, h = scene.width, scene.height
    deep = scene.haze(light.top, light.land, 0.3)
    shapes = [Shape((rect(0, horizon, w, h),), vertical(horizon, h, light.horizon, deep))]
    if not scene.palette.explicit and ({"sun", "moon"} & scene.elements):
        for k in range(scene.count(6, 22)):
            y = horizon + (h - horizon) * (k + 1) / 26 * scene.rng.uniform(0.9, 1.1)
            half = (0.06 - 0.002 * k) * w * scene.rng.uniform(0.4, 1.0)
            glint = ellipse(sun[0] + scene.rng.normal(0, 0.01 * w), y, half, 1.6 * scene.unit)
            shapes.append(Shape((glint,), light.sun, opacity=0.55))
    return shapes


def _pine(x: float, y: float, size: float) -> Ring:
    """Three stacked tiers and a trunk as one outline (no overlapping edges)."""
    tiers = ((1.0, 0.62, 0.2), (0.8, 0.38, 0.27), (0.58, 0.12, 0.34))  # top, bottom, half-width
    left: list[tuple[float, float]] = [(x, y - size)]
    previous_bottom = 0.0
    for k, (top, bottom, half) in enumerate(tiers):
        if k:
            # The notch lies on this tier's slope where the tier above ends.
            frac = (top - previous_bottom) / (top - bottom)
            left.append((x - size * half * frac, y - size * previous_bottom))
        left.append((x - size * half, y - size * bottom))
        previous_bottom = bottom
    left += [(x - size * 0.05, y - size * previous_bottom), (x - size * 0.05, y)]
    right = [(2 * x - px, py) for px, py in reversed(left[1:])]
    return (*left, *right)


def _trees(scene: Scene, light: _Light, heights: np.ndarray) -> list[Shape]:
    w, h = scene.width, scene.height
    color = scene.tone(light.land, -0.35)
    xs = np.linspace(-2.0, w + 2.0, len(heights))
    trees = []
    for _ in range(scene.count(0, 40)):
        x = scene.rng.uniform(0, w)
        y = float(np.interp(x, xs, heights)) + 0.01 * h
        if y > h:
            continue  # that part of the hill is under the frame (shore side)
        trees.append((y, Shape((_pine(x, y, scene.rng.uniform(0.06, 0.14) * h),), color)))
    return [shape for _, shape in sorted(trees, key=lambda t: t[0])]


def _birds(scene: Scene, light: _Light, horizon: float) -> list[Shape]:
    shapes = []
    ink = scene.tone(light.land, -0.4)
    cx, cy = scene.rng.uniform(0.2, 0.8) * scene.width, scene.rng.uniform(0.15, 0.4) * horizon
    for _ in range(scene.count(2, 9)):
        x, y = (
            cx + scene.rng.normal(0, 0.07 * scene.width),
            cy + scene.rng.normal(0, 0.04 * horizon),
        )
        s = scene.rng.uniform(6, 14) * scene.unit
        wing = bird(x, y, s, tip=0.35, joint=0.45)
        shapes.append(Shape((wing,), None, ink, 2.2 * scene.unit, closed=False))
    return shapes


def landscape(scene: Scene) -> Image.Image:
    w, h = scene.width, scene.height
    light = _light(scene)
    horizon = h * scene.rng.uniform(0.5, 0.64)
    sun_y = horizon * (scene.rng.uniform(0.25, 0.55) if "sunset" not in scene.elements else 0.8)
    sun = (scene.rng.uniform(0.2, 0.8) * w, sun_y)
    image = _sky(scene, light, horizon, sun)
    if "stars" in scene.elements:
        _stars(scene, image, horizon)
    paint_shapes(image, _celestial(scene, light, sun))
    if "clouds" in scene.elements:
        _clouds(scene, image, light, horizon)
    if "mountains" in scene.elements:
        paint_shapes(image, _mountains(scene, light, horizon))
    if "city" in scene.elements:
        _city(scene, image, light, horizon)
    if "water" in scene.elements:
        paint_shapes(image, _water(scene, light, horizon, sun))
    hills, nearest = _hills(scene, light, horizon)
    paint_shapes(image, hills)
    if "forest" in scene.elements:
        paint_shapes(image, _trees(scene, light, nearest))
    if "birds" in scene.elements and scene.complexity >= 0.4:
        paint_shapes(image, _birds(scene, light, horizon))
    return image


# --- realistic: studio still life -------------------------------------------------------------


def studio(scene: Scene) -> Image.Image:
    """Shaded spheres on a seamless backdrop; the backdrop is exactly the background colour at
    the edges, with a soft spotlight in the middle."""
    w, h = scene.width, scene.height
    bg = scene.palette.background
    image = Image.new("RGB", (w, h), bg)
    spot = Radial(
        (w / 2, h * 0.42), 0.5 * math.hypot(w, h) * 0.8, ((0.0, scene.tone(bg, 0.22)), (1.0, bg))
    )
    paint_shapes(image, [Shape((rect(0, 0, w, h),), spot)])
    floor = h * 0.72
    count = 1 + round(3 * scene.complexity)
    side = min(w, h)
    xs = np.sort(scene.rng.uniform(0.25, 0.75, count)) * w if count > 1 else np.array([w / 2])
    shadows, balls = [], []
    for i, x in enumerate(xs):
        r = side * scene.rng.uniform(0.08, 0.16) * (1.3 if count == 1 else 1.0)
        cy = floor - r
        color = scene.palette.color(i)
        hi = (x - r * 0.35, cy - r * 0.4)
        fill = Radial(
            hi,
            r * 1.6,
            ((0.0, scene.tone(color, 0.55)), (0.45, color), (1.0, scene.tone(color, -0.55))),
        )
        balls.append((r, Shape((circle(x, cy, r, 96),), fill)))
        shadows.append((x + r * 0.2, floor, r * 1.1, r * 0.22))
    _soft_blobs(image, shadows, scene.tone(bg, -0.6), 0.45)
    # Bigger spheres are nearer the camera: paint them last.
    paint_shapes(image, [s for _, s in sorted(balls, key=lambda b: b[0])])
    return image


def realistic(scene: Scene) -> Image.Image:
    image = (
        studio(scene) if scene.look.studio or scene.palette.fixed_background else landscape(scene)
    )
    look = scene.look
    if not scene.palette.fixed_background:
        look = replace(look, vignette=max(look.vignette, 0.3))
    look = replace(look, grain=max(look.grain, 0.18))  # light film grain: photos are never clean
    if scene.palette.explicit:
        look = look.without_grading()
    return apply_look(image, look, scene.rng)


# --- logo -------------------------------------------------------------------------------------


def _badge_outline(kind: int, cx: float, cy: float, r: float) -> Ring:
    if kind == 1:
        return regular(cx, cy, r, 6, math.pi / 6)
    if kind == 2:
        return rounded_rect(cx - r * 0.9, cy - r * 0.9, cx + r * 0.9, cy + r * 0.9, r * 0.28)
    if kind == 3:
        return star(cx, cy, r, r * 0.9, 24)  # a seal with a scalloped rim
    if kind == 4:
        # Shield: flat top, curved sides meeting in a point.
        top = cy - r * 0.9
        pts = [(cx - r * 0.85, top), (cx + r * 0.85, top)]
        for i in range(1, 17):
            t = i / 16
            pts.append((cx + r * 0.85 * (1 - t**2), top + r * 1.9 * t))
        for i in range(15, 0, -1):
            t = i / 16
            pts.append((cx - r * 0.85 * (1 - t**2), top + r * 1.9 * t))
        return tuple(pts)
    return circle(cx, cy, r, 96)


def _laurels(scene: Scene, cx: float, cy: float, r: float, color: RGB) -> list[Shape]:
    """Two laurel branches climbing the badge sides, leaves alternating in and out."""
    shapes = []
    for side in (-1, 1):
        for k in range(8):
            a = math.pi / 2 + side * (0.45 + 0.16 * k)  # from the bottom up one side
            tangent = a + side * math.pi / 2  # the direction the branch grows
            out = 1 if k % 2 else -1
            radius = r * (1.18 + 0.06 * out)
            x, y = cx + radius * math.cos(a), cy + radius * math.sin(a)
            leaf = lens(x, y, r * 0.24, r * 0.09, tangent - out * side * 0.5)
            shapes.append(Shape((leaf,), color))
    return shapes


def _ribbon(cx: float, cy: float, r: float) -> tuple[Ring, ...]:
    y0, y1 = cy + r * 0.45, cy + r * 0.75
    band = rect(cx - r * 1.05, y0, cx + r * 1.05, y1)
    tail_l = (
        (cx - r * 1.05, y0 + r * 0.08),
        (cx - r * 1.35, y0 + r * 0.08),
        (cx - r * 1.22, (y0 + y1) / 2 + r * 0.08),
        (cx - r * 1.35, y1 + r * 0.08),
        (cx - r * 1.05, y1 + r * 0.08),
    )
    tail_r = tuple((2 * cx - x, y) for x, y in tail_l)
    return (band, tail_l, tail_r)


def _ornaments(scene: Scene, cx: float, cy: float, r: float, color: RGB) -> list[Shape]:
    """A ring of small stars, dots or diamonds just inside the badge rim."""
    kind = int(scene.rng.integers(0, 3))
    count = scene.count(8, 20)
    shapes = []
    for k in range(count):
        a = 2 * math.pi * k / count - math.pi / 2
        x, y = cx + r * 0.7 * math.cos(a), cy + r * 0.7 * math.sin(a)
        if kind == 0:
            ring = star(x, y, r * 0.05, r * 0.022, 5)
        elif kind == 1:
            ring = circle(x, y, r * 0.025, 16)
        else:
            ring = regular(x, y, r * 0.035, 4, a)
        shapes.append(Shape((ring,), color))
    return shapes


def logo(scene: Scene) -> Image.Image:
    w, h = scene.width, scene.height
    pal = scene.palette
    look = scene.look if not pal.explicit else scene.look.without_grading()
    main, accent = pal.color(0), pal.color(1)
    if scene.rng.random() < 0.5:
        main, accent = accent, main
    ink = scene.tone(pal.dark, -0.4)
    if look.mono:
        main = accent = ink = contrasting(pal.background, pal.colors)
    image = Image.new("RGB", (w, h), pal.background)
    cx, cy, r = w / 2, h / 2, min(w, h) * scene.rng.uniform(0.26, 0.32)
    kind = int(scene.rng.integers(0, 5))
    shapes = []
    if scene.complexity >= 0.8:
        shapes += _laurels(scene, cx, cy, r, accent)
    shapes += scene.styled((_badge_outline(kind, cx, cy, r),), main, ink, 8)
    inner = contrasting(main, (pal.background, *pal.colors))
    if scene.complexity >= 0.2:
        rim = _badge_outline(kind, cx, cy, r * 0.84)
        shapes.append(Shape((rim,), None, inner, 5 * scene.unit))
    if scene.complexity >= 0.4:
        shapes += _ornaments(scene, cx, cy, r, inner)
    if scene.complexity >= 0.6:
        ribbon = _ribbon(cx, cy, r)
        for tail in ribbon[1:]:
            shapes += scene.styled((tail,), scene.tone(accent, -0.25), ink, 4)
        shapes += scene.styled(ribbon[:1], accent, ink, 4)
    paint_shapes(image, shapes)
    _emblem(scene, image, cx, cy - (r * 0.12 if scene.complexity >= 0.6 else 0), r, inner)
    return apply_look(image, look, scene.rng)


def _emblem(scene: Scene, image: Image.Image, cx: float, cy: float, r: float, color: RGB) -> None:
    """The badge's centre: the prompt's initial, or a star when text is not wanted."""
    if scene.monogram:
        font = load_font(max(8, round(r * 0.9)))
        ImageDraw.Draw(image).text((cx, cy), scene.monogram, fill=color, font=font, anchor="mm")
    else:
        paint_shapes(image, [Shape((star(cx, cy, r * 0.45, r * 0.19, 5),), color)])
