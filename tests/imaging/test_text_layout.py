"""Text layout: words fitted into quads, in raster (perspective warp) and SVG (glyph paths)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from atelier.engines.base import GenerationSpec, Point, RasterImage, TextItem, VectorImage
from atelier.engines.preview import render
from atelier.imaging.text_layout import draw_text_layout, homography, svg_text_layout, word_path

Quad = tuple[Point, Point, Point, Point]
SKEWED: Quad = ((0.1, 0.15), (0.7, 0.25), (0.65, 0.45), (0.15, 0.35))
SIZE = 400


def spec(style: str = "realistic_image", **changes: Any) -> GenerationSpec:
    base = GenerationSpec(
        prompt="an empty beach",
        model="recraftv3",
        style=style,
        substyle=None,
        width=SIZE,
        height=SIZE,
        seed=5,
        vector=style == "vector_illustration",
    )
    return replace(base, **changes)


def pixels(s: GenerationSpec) -> np.ndarray:
    artifact = render(s)
    assert isinstance(artifact, RasterImage)
    return np.asarray(artifact.image, dtype=np.int16)


def quad_mask(quad: Quad, size: tuple[int, int], grow: int = 0) -> np.ndarray:
    """Boolean mask of the quad in pixels, optionally grown by ``grow`` pixels."""
    w, h = size
    mask = Image.new("L", size, 0)
    points = [(x * w, y * h) for x, y in quad]
    draw = ImageDraw.Draw(mask)
    draw.polygon(points, fill=255)
    if grow:
        draw.line([*points, points[0]], fill=255, width=2 * grow)
    return np.asarray(mask) > 0


def test_homography_maps_the_four_corners() -> None:
    src = [(0, 0), (100, 0), (100, 40), (0, 40)]
    dst = [(10, 20), (300, 60), (280, 200), (30, 150)]
    h = homography(src, dst)
    assert h is not None
    for (x, y), (u, v) in zip(src, dst, strict=True):
        px, py, pw = h @ np.array([x, y, 1.0])
        assert px / pw == pytest.approx(u, abs=1e-6)
        assert py / pw == pytest.approx(v, abs=1e-6)


def test_homography_of_a_collapsed_quad_is_none() -> None:
    assert homography([(0, 0), (1, 0), (1, 1), (0, 1)], [(5, 5)] * 4) is None


@pytest.mark.parametrize("quad", [SKEWED, ((0.2, 0.6), (0.8, 0.6), (0.8, 0.8), (0.2, 0.8))])
def test_text_changes_pixels_inside_the_quad_only(quad: Quad) -> None:
    plain = pixels(spec())
    text = pixels(spec(text_layout=(TextItem("Recraft", quad),)))
    changed = np.abs(plain - text).max(axis=-1) > 0
    inside = quad_mask(quad, (SIZE, SIZE))
    assert changed[inside].mean() > 0.2  # bold glyphs stretched to fill cover much of it
    outside = ~quad_mask(quad, (SIZE, SIZE), grow=3)
    assert not changed[outside].any()


def test_word_fills_its_quad() -> None:
    image = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    quad: Quad = ((0.1, 0.3), (0.9, 0.3), (0.9, 0.6), (0.1, 0.6))
    draw_text_layout(image, [TextItem("HELLO", quad)])
    ink = np.argwhere(np.asarray(image.convert("L")) < 128)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0)
    assert left == pytest.approx(0.1 * SIZE, abs=3) and right == pytest.approx(0.9 * SIZE, abs=3)
    assert top == pytest.approx(0.3 * SIZE, abs=3) and bottom == pytest.approx(0.6 * SIZE, abs=3)


def test_text_contrasts_with_the_background() -> None:
    quad: Quad = ((0.1, 0.1), (0.9, 0.1), (0.9, 0.5), (0.1, 0.5))
    for background, expect_dark in (((250, 250, 250), True), ((10, 10, 30), False)):
        image = Image.new("RGB", (200, 200), background)
        draw_text_layout(image, [TextItem("OK", quad)])
        lum = np.asarray(image.convert("L"), dtype=np.int16)
        extreme = lum.min() if expect_dark else lum.max()
        assert abs(int(extreme) - int(np.mean(background))) > 150


def test_case_is_preserved() -> None:
    quad: Quad = ((0.1, 0.1), (0.9, 0.1), (0.9, 0.5), (0.1, 0.5))
    images = []
    for word in ("Recraft", "RECRAFT"):
        image = Image.new("RGB", (200, 200), (255, 255, 255))
        draw_text_layout(image, [TextItem(word, quad)])
        images.append(np.asarray(image))
    assert (images[0] != images[1]).any()


def test_quads_partly_or_fully_outside_are_cropped() -> None:
    partly: Quad = ((0.7, 0.7), (1.4, 0.7), (1.4, 1.3), (0.7, 1.3))
    gone: Quad = ((1.2, 1.2), (1.5, 1.2), (1.5, 1.4), (1.2, 1.4))
    degenerate: Quad = ((0.5, 0.5), (0.5, 0.5), (0.5, 0.5), (0.5, 0.5))
    plain = pixels(spec())
    text = pixels(
        spec(text_layout=(TextItem("Edge", partly), TextItem("X", gone), TextItem("Y", degenerate)))
    )
    changed = np.abs(plain - text).max(axis=-1) > 0
    assert changed[int(0.7 * SIZE) :, int(0.7 * SIZE) :].any()
    assert not changed[: int(0.69 * SIZE), :].any()


def test_no_text_ignores_the_layout() -> None:
    item = TextItem("Recraft", SKEWED)
    assert (pixels(spec(text_layout=(item,), no_text=True)) == pixels(spec())).all()


def _numbers(d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]


def test_svg_word_path_stays_in_its_quad() -> None:
    quad_px = [(x * SIZE, y * SIZE) for x, y in SKEWED]
    d = word_path("Recraft", quad_px)
    assert d is not None and d.startswith("M")
    nums = _numbers(d)
    xs, ys = nums[0::2], nums[1::2]
    # Bezier control points may poke out slightly; the outline itself stays inside the box.
    assert min(xs) >= min(x for x, _ in quad_px) - 2 and max(xs) <= max(x for x, _ in quad_px) + 2
    assert min(ys) >= min(y for _, y in quad_px) - 2 and max(ys) <= max(y for _, y in quad_px) + 2


def test_svg_contains_text_paths_and_parses() -> None:
    items = (
        TextItem("Recraft", SKEWED),
        TextItem("Ø-ẞ!", ((0.6, 0.8), (1.3, 0.8), (1.3, 1.1), (0.6, 1.1))),
    )
    artifact = render(spec("vector_illustration", text_layout=items))
    assert isinstance(artifact, VectorImage)
    root = ET.fromstring(artifact.svg)
    groups = [
        g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "text-layout"
    ]
    assert len(groups) == 1
    assert len(list(groups[0])) == 2
    plain = render(spec("vector_illustration"))
    assert isinstance(plain, VectorImage)
    assert "text-layout" not in plain.svg


def test_svg_text_layout_skips_empty_and_degenerate_items() -> None:
    items = [TextItem("A", ((0.5, 0.5),) * 4)]
    assert svg_text_layout(items, 100, 100, (0, 0, 0)) == ""
