"""The vectorizer: SVG validity and size, transparency, colour reduction, speckle filter, palette."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageDraw

from atelier.engines.vectorizer import VectorizeOptions, snap_to_palette, vectorize

SVG_NS = "{http://www.w3.org/2000/svg}"


def shapes(size: tuple[int, int] = (320, 200), mode: str = "RGB") -> Image.Image:
    """Flat shapes on a background, the kind of image vectorize is for."""
    image = Image.new(mode, size, (240, 240, 230, 255) if mode == "RGBA" else (240, 240, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 140, 140), fill=(220, 40, 40))
    draw.rectangle((160, 40, 300, 180), fill=(30, 60, 200))
    draw.polygon([(40, 190), (110, 150), (150, 195)], fill=(20, 160, 60))
    return image


def patchwork(cells: int = 8, cell: int = 16) -> Image.Image:
    """A grid of flat patches in distinct colours: many colours for vtracer to keep."""
    rng = np.random.default_rng(7)
    colours = rng.integers(0, 256, size=(cells, cells, 3), dtype=np.uint8)
    pixels = np.repeat(np.repeat(colours, cell, axis=0), cell, axis=1)
    return Image.fromarray(pixels, "RGB")


def fills(svg: str) -> set[str]:
    return {colour.lower() for colour in re.findall(r'fill="(#[0-9a-fA-F]{6})"', svg)}


def path_count(svg: str) -> int:
    return len(ET.fromstring(svg).findall(f"{SVG_NS}path"))


@pytest.mark.parametrize("size", [(320, 200), (64, 300)])
def test_svg_parses_with_input_size_and_viewbox(size: tuple[int, int]) -> None:
    svg = vectorize(shapes(size))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == str(size[0])
    assert root.get("height") == str(size[1])
    assert root.get("viewBox") == f"0 0 {size[0]} {size[1]}"
    assert path_count(svg) >= 3


def test_shape_colours_survive_tracing() -> None:
    colours = fills(vectorize(shapes()))
    assert {"#dc2828", "#1e3cc8", "#14a03c"} <= colours


def test_transparent_areas_stay_empty() -> None:
    image = Image.new("RGBA", (200, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((20, 20, 100, 100), fill=(255, 0, 0, 255))
    svg = vectorize(image)
    assert fills(svg) == {"#ff0000"}
    assert path_count(svg) == 1


def test_color_reduction_caps_the_number_of_fills() -> None:
    image = patchwork()
    many = fills(vectorize(image))
    few = fills(vectorize(image, VectorizeOptions(color_reduction=6)))
    assert len(many) > 12
    assert 2 <= len(few) <= 6


def test_speckle_filter_drops_small_shapes() -> None:
    image = shapes((320, 200))
    draw = ImageDraw.Draw(image)
    for i in range(40):  # 2x2 px dots: noise to filter
        x, y = 8 + (i * 37) % 300, 8 + (i * 53) % 180
        draw.rectangle((x, y, x + 1, y + 1), fill=(0, 0, 0))
    kept = path_count(vectorize(image, VectorizeOptions(filter_speckle=0)))
    filtered = path_count(vectorize(image, VectorizeOptions(filter_speckle=6)))
    assert kept >= filtered + 20
    assert filtered >= 3  # the real shapes are still there


@pytest.mark.parametrize("stacking", ["stacked", "cutout"])
@pytest.mark.parametrize("mode", ["spline", "polygon"])
def test_all_stacking_and_mode_options_give_valid_svg(stacking: str, mode: str) -> None:
    svg = vectorize(shapes(), VectorizeOptions(stacking=stacking, mode=mode))  # type: ignore[arg-type]
    assert path_count(svg) >= 3
    if mode == "polygon":
        assert "C" not in "".join(p.get("d", "") for p in ET.fromstring(svg).iter(f"{SVG_NS}path"))


def test_snap_to_palette_maps_every_fill_to_the_palette() -> None:
    palette = [(255, 0, 0), (0, 0, 255), (255, 255, 255), (0, 128, 0)]
    svg = snap_to_palette(vectorize(shapes()), palette)
    assert fills(svg) <= {"#ff0000", "#0000ff", "#ffffff", "#008000"}
    assert fills(svg) >= {"#ff0000", "#0000ff", "#008000"}
    ET.fromstring(svg)


def test_palette_option_snaps_during_vectorize() -> None:
    svg = vectorize(patchwork(), VectorizeOptions(palette=((0, 0, 0), (255, 255, 255))))
    assert fills(svg) <= {"#000000", "#ffffff"}


def test_invalid_options_are_rejected() -> None:
    with pytest.raises(ValueError):
        VectorizeOptions(color_reduction=0)
    with pytest.raises(ValueError):
        VectorizeOptions(color_precision=9)
    with pytest.raises(ValueError):
        snap_to_palette("<svg/>", [])
