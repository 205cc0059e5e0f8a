"""Raster scenes: photo-like landscapes and studio shots, bold illustrations, centred logo badges."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from atelier.engines.base import RGB
from atelier.engines.preview_looks import apply_look
from atelier.engines.preview_palette import contrasting, darken, lighten, luminance, mix
from atelier.engines.preview_scene import Scene
from atelier.engines.preview_shapes import (
    Linear,
    Radial,
    Ring,
    Shape,
    circle,
    ellipse,
    paint_shapes,
    profile,
    rect,
    regular,
    ridge,
    rounded_rect,
    star,
)
from atelier.engines.text_layout import load_font

# --- shared helpers ---------------------------------------------------------------------------


def _vertical(top_y: float, bottom_y: float, *colors: RGB) -> Linear:
    n = len(colors) - 1
    return Linear((0.0, top_y), (0.0, bottom_y), tuple((i / n, c) for i, c in enumerate(colors)))


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


def _arch(cx: float, cy: float, fw: float, fh: float) -> Ring:
    """A window-arch frame: a half circle on top of a rectangle."""
    r = fw / 2
    top_center = cy - fh / 2 + r
    arc = [
        (cx + r * math.cos(math.pi + math.pi * i / 32), top_center + r * math.sin(math.pi + math.pi * i / 32))
        for i in range(33)
    ]
    return (*arc, (cx + r, cy + fh / 2), (cx - r, cy + fh / 2))


def _framed(scene: Scene, picture: Image.Image) -> Image.Image:
    """The picture shown through an arch on the flat requested background."""
    w, h = picture.size
    side = min(w, h)
    fw, fh = side * 0.62, min(h * 0.84, side * 0.62 * 1.3)
    frame = _arch(w / 2, h / 2, fw, fh)
    canvas = Image.new("RGB", (w, h), scene.palette.background)
    mask = Image.new("L", (w, h), 0)
    paint_shapes(mask, [Shape((frame,), 255)])  # type: ignore[arg-type]
    canvas.paste(picture, (0, 0), mask)
    ink = contrasting(scene.palette.background, scene.palette.colors)
    paint_shapes(canvas, [Shape((frame,), None, ink, 6 * scene.unit)])
    return canvas


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
        glow = 0.55 * np.exp(-((dist / 0.32) ** 2))
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
    for _ in range(scene.count(1, 7)):
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
    color = light.sun if scene.palette.explicit else lighten(mix(light.horizon, light.sun, 0.4), 0.35)
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
        fill = _vertical(peak, horizon, cap, color, scene.haze(color, light.horizon, 0.3))
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


def _hills(scene: Scene, light: _Light, horizon: float) -> tuple[list[Shape], np.ndarray]:
    """Rolling hill layers, far to near; returns the nearest ridge line for placing trees."""
    w, h = scene.width, scene.height
    layers = 1 + round(2.6 * scene.complexity)
    water = "water" in scene.elements
    shapes, heights = [], np.zeros(1)
    tilt_sign = 1 if scene.digest[22] % 2 else -1
    for i in range(layers):
        depth = 1.0 - (i + 1) / layers  # 0 = nearest
        base = horizon + (h - horizon) * (0.12 + 0.55 * (i + 1) / (layers + 1))
        p = profile(scene.rng, 160, 0.35, octaves=3)
        heights = base - (0.03 + 0.05 * depth) * h * (1 + p)
        if water:
            # Shores: the hill sinks below the frame on one side, leaving open water.
            heights = heights + tilt_sign * np.linspace(-0.25, 0.45, len(heights)) * h
        color = scene.haze(light.land, light.horizon, 0.45 * depth)
        bottom_color = (
            scene.tone(color, -0.3) if depth == 0 else scene.haze(color, light.horizon, 0.3)
        )
        fill = _vertical(float(heights.min()), h, color, bottom_color)
        shapes.append(Shape((ridge(w, h + 2, heights),), fill))
    return shapes, heights


def _water(scene: Scene, light: _Light, horizon: float, sun: tuple[float, float]) -> list[Shape]:
    w, h = scene.width, scene.height
    deep = scene.haze(light.top, light.land, 0.3)
    shapes = [Shape((rect(0, horizon, w, h),), _vertical(horizon, h, light.horizon, deep))]
    if not scene.palette.explicit and ({"sun", "moon"} & scene.elements):
        for k in range(scene.count(6, 22)):
            y = horizon + (h - horizon) * (k + 1) / 26 * scene.rng.uniform(0.9, 1.1)
            half = (0.06 - 0.002 * k) * w * scene.rng.uniform(0.4, 1.0)
            glint = ellipse(sun[0] + scene.rng.normal(0, 0.01 * w), y, half, 1.6 * scene.unit)
            shapes.append(Shape((glint,), light.sun, opacity=0.55))
    return shapes


def _pine(x: float, y: float, size: float) -> Ring:
    # Three stacked tiers, drawn as one outline so outlines and fills stay clean.
    left, right = [], []
    for tier in range(3):
        top = y - size * (1.0 - 0.28 * tier)
        bottom = y - size * (0.55 - 0.27 * tier)
        half = size * (0.18 + 0.07 * tier)
        left += [(x - half * 0.35, top + size * 0.05), (x - half, bottom)]
        right += [(x + half, bottom), (x + half * 0.35, top + size * 0.05)]
    trunk = [(x - size * 0.05, y), (x + size * 0.05, y)]
    return ((x, y - size), *left[1:], trunk[0], trunk[1], *reversed(right[:-1]))


def _trees(scene: Scene, light: _Light, heights: np.ndarray) -> list[Shape]:
    w, h = scene.width, scene.height
    color = scene.tone(light.land, -0.35)
    xs = np.linspace(-2.0, w + 2.0, len(heights))
    trees = []
    for _ in range(scene.count(5, 40)):
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
        x, y = cx + scene.rng.normal(0, 0.07 * scene.width), cy + scene.rng.normal(0, 0.04 * horizon)
        s = scene.rng.uniform(6, 14) * scene.unit
        wing = ((x - s, y - 0.35 * s), (x - 0.45 * s, y - 0.45 * s), (x, y), (x + 0.45 * s, y - 0.45 * s), (x + s, y - 0.35 * s))
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
    spot = Radial((w / 2, h * 0.42), 0.5 * math.hypot(w, h) * 0.8, ((0.0, scene.tone(bg, 0.22)), (1.0, bg)))
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
        fill = Radial(hi, r * 1.6, ((0.0, scene.tone(color, 0.55)), (0.45, color), (1.0, scene.tone(color, -0.55))))
        balls.append((r, Shape((circle(x, cy, r, 96),), fill)))
        shadows.append((x + r * 0.2, floor, r * 1.1, r * 0.22))
    _soft_blobs(image, shadows, scene.tone(bg, -0.6), 0.45)
    # Bigger spheres are nearer the camera: paint them last.
    paint_shapes(image, [s for _, s in sorted(balls, key=lambda b: b[0])])
    return image


def realistic(scene: Scene) -> Image.Image:
    image = studio(scene) if scene.look.studio or scene.palette.fixed_background else landscape(scene)
    look = scene.look
    if not scene.palette.fixed_background:
        look = replace(look, vignette=max(look.vignette, 0.3))
    look = replace(look, grain=max(look.grain, 0.18))  # light film grain: photos are never clean
    if scene.palette.explicit:
        look = look.without_grading()
    return apply_look(image, look, scene.rng)


# --- digital illustration ---------------------------------------------------------------------


def _sun_disc(scene: Scene, cx: float, cy: float, r: float, ink: RGB) -> list[Shape]:
    sun_c = scene.palette.color(0)
    fill = Radial((cx - r * 0.3, cy - r * 0.3), r * 1.4, ((0.0, scene.tone(sun_c, 0.5)), (1.0, sun_c)))
    shapes: list[Shape] = []
    if scene.complexity > 0.5:
        # Light rays: long thin wedges give the composition a direction.
        for k in range(scene.count(6, 16)):
            a = 2 * math.pi * k / 16 + scene.rng.uniform(0, 0.2)
            far = max(scene.width, scene.height)
            spread = 0.05
            ray = ((cx, cy), (cx + far * math.cos(a - spread), cy + far * math.sin(a - spread)), (cx + far * math.cos(a + spread), cy + far * math.sin(a + spread)))
            shapes.append(Shape((ray,), scene.tone(sun_c, 0.6), opacity=0.12))
    for k in range(scene.count(0, 3)):
        shapes.append(Shape((circle(cx, cy, r * (1.25 + 0.22 * k)),), None, sun_c, 4 * scene.unit, opacity=0.5))
    shapes += scene.styled((circle(cx, cy, r, 96),), fill, ink, 5)
    return shapes


def _peaks(scene: Scene, i: int, layers: int, ink: RGB) -> list[Shape]:
    w, h = scene.width, scene.height
    n = int(scene.rng.integers(6, 12))
    base = h * (0.5 + 0.35 * (i + 1) / layers)
    xs = np.linspace(-0.05 * w, 1.05 * w, n)
    jag = scene.rng.uniform(0.06, 0.22 - 0.03 * i, n) * h
    heights = base - jag * (1 + (np.arange(n) % 2))  # alternate peaks and valleys
    color = scene.palette.color(i + 1)
    top = [(float(x), float(y)) for x, y in zip(xs, heights, strict=True)]
    ring = (*top, (1.05 * w, h + 10), (-0.05 * w, h + 10))
    fill = _vertical(float(heights.min()), h, scene.tone(color, 0.15), scene.tone(color, -0.35))
    return scene.styled((ring,), fill, ink, 4)


def _leaves(scene: Scene, ink: RGB) -> list[Shape]:
    w, h = scene.width, scene.height
    shapes = []
    for _ in range(scene.count(0, 9)):
        side = scene.rng.choice([0.0, 1.0])
        x = abs(side * w - scene.rng.uniform(0, 0.18) * w)
        y = h - scene.rng.uniform(0, 0.12) * h
        length = scene.rng.uniform(0.12, 0.25) * h
        angle = (-math.pi / 2) + (0.6 if side == 0 else -0.6) * scene.rng.uniform(0.3, 1.2)
        cx, cy = x + math.cos(angle) * length / 2, y + math.sin(angle) * length / 2
        leaf = ellipse(cx, cy, length / 2, length * 0.14, 40, angle)
        color = scene.tone(scene.palette.color(3), -0.2)
        shapes += scene.styled((leaf,), color, ink, 3)
    return shapes


def _sparkles(scene: Scene, limit_y: float) -> list[Shape]:
    shapes = []
    light = scene.tone(scene.palette.color(2), 0.6)
    for _ in range(scene.count(0, 14)):
        x, y = scene.rng.uniform(0, scene.width), scene.rng.uniform(0, limit_y)
        s = scene.rng.uniform(6, 18) * scene.unit
        kind = scene.rng.integers(0, 2)
        ring = star(x, y, s, s * 0.28, 4) if kind == 0 else circle(x, y, s * 0.35, 16)
        shapes.append(Shape((ring,), light, opacity=0.9))
    return shapes


def illustration(scene: Scene) -> Image.Image:
    w, h = scene.width, scene.height
    pal = scene.palette
    ink = scene.tone(pal.dark, -0.5)
    image = Image.new("RGB", (w, h), pal.background)
    if not pal.explicit:
        sky_bottom = mix(pal.background, pal.color(2), 0.45)
        paint_shapes(image, [Shape((rect(0, 0, w, h),), _vertical(0, h, pal.background, sky_bottom))])
    shapes = _sparkles(scene, h * 0.5)
    r = min(w, h) * scene.rng.uniform(0.14, 0.22)
    cx, cy = scene.rng.uniform(0.3, 0.7) * w, scene.rng.uniform(0.25, 0.38) * h
    shapes += _sun_disc(scene, cx, cy, r, ink)
    layers = 2 + round(2 * scene.complexity)
    for i in range(layers):
        shapes += _peaks(scene, i, layers, ink)
    shapes += _leaves(scene, ink)
    paint_shapes(image, shapes)
    look = scene.look.without_grading() if pal.explicit else scene.look
    image = apply_look(image, look, scene.rng)
    return _framed(scene, image) if pal.fixed_background else image


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
    shapes = []
    for side in (-1, 1):
        for k in range(7):
            a = math.pi / 2 + side * (0.5 + 0.17 * k)  # up the sides, from the bottom
            x, y = cx + r * 1.18 * math.cos(a), cy + r * 1.18 * math.sin(a)
            leaf = ellipse(x, y, r * 0.13, r * 0.05, 24, a + side * math.pi / 2.4)
            shapes.append(Shape((leaf,), color))
    return shapes


def _ribbon(cx: float, cy: float, r: float) -> tuple[Ring, ...]:
    y0, y1 = cy + r * 0.45, cy + r * 0.75
    band = rect(cx - r * 1.05, y0, cx + r * 1.05, y1)
    tail_l = ((cx - r * 1.05, y0 + r * 0.08), (cx - r * 1.35, y0 + r * 0.08), (cx - r * 1.22, (y0 + y1) / 2 + r * 0.08), (cx - r * 1.35, y1 + r * 0.08), (cx - r * 1.05, y1 + r * 0.08))
    tail_r = tuple((2 * cx - x, y) for x, y in tail_l)
    return (band, tail_l, tail_r)


def logo(scene: Scene) -> Image.Image:
    w, h = scene.width, scene.height
    pal = scene.palette
    look = scene.look if not pal.explicit else scene.look.without_grading()
    main, accent = pal.color(0), pal.color(1)
    ink = scene.tone(pal.dark, -0.4)
    if look.mono:
        main = accent = ink = contrasting(pal.background, pal.colors)
    image = Image.new("RGB", (w, h), pal.background)
    cx, cy, r = w / 2, h / 2, min(w, h) * 0.3
    kind = scene.digest[23] % 5
    shapes = []
    if scene.complexity >= 0.8:
        shapes += _laurels(scene, cx, cy, r, accent)
    shapes += scene.styled((_badge_outline(kind, cx, cy, r),), main, ink, 8)
    inner = contrasting(main, (pal.background, *pal.colors))
    if scene.complexity >= 0.2:
        shapes.append(Shape((_badge_outline(kind, cx, cy, r * 0.84),), None, inner, 5 * scene.unit))
    if scene.complexity >= 0.4:
        for k in range(scene.count(6, 14)):
            a = 2 * math.pi * k / 14 - math.pi / 2
            shapes.append(Shape((star(cx + r * 0.7 * math.cos(a), cy + r * 0.7 * math.sin(a), r * 0.045, r * 0.02, 5),), inner))
    if scene.complexity >= 0.6:
        ribbon = _ribbon(cx, cy, r)
        shapes += scene.styled(ribbon[1:], scene.tone(accent, -0.25), ink, 4)
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
