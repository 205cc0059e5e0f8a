"""The preview engine: determinism, sizes, palettes, complexity, substyles, SVG validity."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from atelier import catalog
from atelier.engines.base import GenerationSpec, RasterImage, TextItem, VectorImage
from atelier.engines.preview import PreviewEngine, render
from atelier.engines.preview.looks import SUBSTYLE_LOOKS, Look, look_for
from atelier.engines.preview.scene import scene_elements, words
from atelier.imaging.encoding import encode_artifact

RASTER_STYLES = ("realistic_image", "any", "digital_illustration", "logo_raster")
VECTOR_STYLES = ("vector_illustration", "icon")
SVG_NS = "{http://www.w3.org/2000/svg}"


def make_spec(style: str = "realistic_image", **changes: Any) -> GenerationSpec:
    model = "recraftv2" if style == "icon" else "recraftv3"
    base = GenerationSpec(
        prompt="a lighthouse on a rocky coast",
        model=model,
        style=style,
        substyle=None,
        width=512,
        height=512,
        seed=7,
        vector=style in catalog.VECTOR_STYLES,
    )
    return replace(base, **changes)


def raster(spec: GenerationSpec) -> np.ndarray:
    artifact = render(spec)
    assert isinstance(artifact, RasterImage)
    return np.asarray(artifact.image.convert("RGB"), dtype=np.int16)


def svg_root(spec: GenerationSpec) -> ET.Element:
    artifact = render(spec)
    assert isinstance(artifact, VectorImage)
    return ET.fromstring(artifact.svg)


def paths(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG_NS}path"))


def hex_rgb(value: str) -> tuple[int, int, int]:
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def near_any(
    pixels: np.ndarray, colors: list[tuple[int, int, int]], tolerance: float
) -> np.ndarray:
    """Boolean per pixel: within ``tolerance`` (Euclidean RGB) of one of ``colors``."""
    dist = np.stack([np.linalg.norm(pixels - np.array(c, dtype=np.int16), axis=-1) for c in colors])
    return dist.min(axis=0) <= tolerance


def smoothed_grey(pixels: np.ndarray) -> np.ndarray:
    """Grey levels averaged over 4x4 blocks, so film grain does not swamp shape edges."""
    h, w = pixels.shape[0] // 4 * 4, pixels.shape[1] // 4 * 4
    grey = pixels[:h, :w].mean(axis=-1)
    return grey.reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))


def edge_energy(pixels: np.ndarray) -> float:
    grey = smoothed_grey(pixels)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


# --- the engine contract ----------------------------------------------------------------------


def test_engine_identity() -> None:
    engine = PreviewEngine()
    assert engine.name == "preview"
    assert engine.description.startswith("Deterministic procedural renderer (no model weights)")


@pytest.mark.parametrize("style", RASTER_STYLES + VECTOR_STYLES)
def test_same_spec_gives_identical_bytes(style: str) -> None:
    spec = make_spec(style, negative_prompt="no clouds", artistic_level=4)
    first = encode_artifact(PreviewEngine().generate(spec)[0], "png").data
    second = encode_artifact(PreviewEngine().generate(spec)[0], "png").data
    assert first == second


def test_output_does_not_depend_on_the_process_hash_seed() -> None:
    # Python salts str hashes per process; a renderer using hash() would differ between these.
    script = (
        "import hashlib; from atelier.engines.base import GenerationSpec;"
        "from atelier.engines.preview import render;"
        "s = GenerationSpec(prompt='harbour at dusk', model='recraftv3',"
        " style='digital_illustration', substyle='grain', width=256, height=256, seed=3);"
        "print(hashlib.sha256(render(s).image.tobytes()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    spec = make_spec(
        "digital_illustration", prompt="harbour at dusk", substyle="grain", width=256, height=256
    )
    spec = replace(spec, seed=3)
    artifact = render(spec)
    assert isinstance(artifact, RasterImage)
    digests.add(hashlib.sha256(artifact.image.tobytes()).hexdigest())
    assert len(digests) == 1


def test_n_images_use_consecutive_seeds() -> None:
    images = PreviewEngine().generate(make_spec(seed=10, n=3))
    assert len(images) == 3
    third = render(make_spec(seed=12))
    first, second, last = images
    assert isinstance(first, RasterImage) and isinstance(second, RasterImage)
    assert isinstance(last, RasterImage) and isinstance(third, RasterImage)
    assert last.image.tobytes() == third.image.tobytes()
    assert first.image.tobytes() != second.image.tobytes()


@pytest.mark.parametrize("style", RASTER_STYLES)
def test_seeds_and_prompts_change_the_composition(style: str) -> None:
    base = raster(make_spec(style))
    other_seed = raster(make_spec(style, seed=8))
    other_prompt = raster(make_spec(style, prompt="a bowl of ramen"))
    assert np.abs(base - other_seed).mean() > 8
    assert np.abs(base - other_prompt).mean() > 8


@pytest.mark.parametrize("style", VECTOR_STYLES)
def test_vector_prompts_change_the_svg(style: str) -> None:
    a = render(make_spec(style))
    b = render(make_spec(style, prompt="a bowl of ramen"))
    assert isinstance(a, VectorImage) and isinstance(b, VectorImage)
    assert a.svg != b.svg


@pytest.mark.parametrize("size", catalog.SIZES)
def test_every_catalog_size_is_exact(size: tuple[int, int]) -> None:
    w, h = size
    for style in ("realistic_image", "logo_raster"):
        artifact = render(make_spec(style, width=w, height=h))
        assert isinstance(artifact, RasterImage)
        assert artifact.image.size == (w, h)
        assert artifact.image.mode == "RGB"
    root = svg_root(make_spec("vector_illustration", width=w, height=h))
    assert (root.get("width"), root.get("height")) == (str(w), str(h))
    assert root.get("viewBox") == f"0 0 {w} {h}"


@pytest.mark.parametrize("style", VECTOR_STYLES)
def test_svg_is_a_complete_document(style: str) -> None:
    artifact = render(make_spec(style, width=1365, height=1024))
    assert isinstance(artifact, VectorImage)
    assert artifact.svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="1365"')
    assert (artifact.width, artifact.height) == (1365, 1024)
    root = ET.fromstring(artifact.svg)
    assert root.tag == f"{SVG_NS}svg"
    assert len(paths(root)) >= 3


def test_every_style_and_substyle_renders() -> None:
    for style, models in catalog.STYLES.items():
        for model, substyles in models.items():
            for substyle in (None, *substyles):
                spec = replace(
                    make_spec(style), model=model, substyle=substyle, width=256, height=256
                )
                artifact = render(spec)
                if isinstance(artifact, VectorImage):
                    ET.fromstring(artifact.svg)
                else:
                    assert artifact.image.size == (256, 256), (style, substyle)


def test_unknown_style_falls_back_on_the_vector_flag() -> None:
    assert isinstance(render(make_spec("some_new_style", vector=False)), RasterImage)
    assert isinstance(render(make_spec("some_new_style", vector=True)), VectorImage)


# --- palette ----------------------------------------------------------------------------------

REQUESTED = [(200, 40, 40), (40, 70, 190), (240, 210, 60)]


@pytest.mark.parametrize("style", RASTER_STYLES)
def test_requested_colors_dominate_raster(style: str) -> None:
    pixels = raster(make_spec(style, colors=tuple(REQUESTED)))
    assert near_any(pixels, REQUESTED, 45).mean() > 0.6


@pytest.mark.parametrize("style", VECTOR_STYLES)
def test_requested_colors_dominate_svg_fills(style: str) -> None:
    root = svg_root(make_spec(style, colors=tuple(REQUESTED), artistic_level=5))
    fills = [p.get("fill", "") for p in paths(root)]
    solid = [hex_rgb(f) for f in fills if f.startswith("#")]
    close = near_any(np.array(solid, dtype=np.int16), REQUESTED, 45)
    assert len(solid) >= 3
    assert close.mean() > 0.75


@pytest.mark.parametrize("style", RASTER_STYLES)
def test_background_color_fills_the_raster_corners(style: str) -> None:
    bg = (30, 110, 90)
    pixels = raster(make_spec(style, background_color=bg, width=640, height=512))
    for corner in (pixels[:6, :6], pixels[:6, -6:], pixels[-6:, :6], pixels[-6:, -6:]):
        assert np.abs(corner.reshape(-1, 3).mean(axis=0) - np.array(bg)).max() < 12


def _path_bounds(d: str) -> tuple[float, float, float, float]:
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    xs, ys = nums[0::2], nums[1::2]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("style", VECTOR_STYLES)
def test_background_color_fills_the_svg_corners(style: str) -> None:
    bg = (30, 110, 90)
    w, h = 640, 512
    root = svg_root(make_spec(style, background_color=bg, width=w, height=h, artistic_level=5))
    # Top-level paths only: what sits in a clip-path group cannot reach outside its clip.
    first, *rest = root.findall(f"{SVG_NS}path")
    assert hex_rgb(first.get("fill", "")) == bg
    assert _path_bounds(first.get("d", "")) == (0, 0, w, h)
    clipped = [g for g in root.findall(f"{SVG_NS}g") if g.get("clip-path")]
    assert all(g.get("clip-path", "").startswith("url(#") for g in clipped)
    corners = [(3, 3), (w - 3, 3), (3, h - 3), (w - 3, h - 3)]
    for path in rest:  # nothing drawn later may cover a corner
        x0, y0, x1, y1 = _path_bounds(path.get("d", ""))
        assert not any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in corners)


def test_style_palette_colours_the_image() -> None:
    greens = ((20, 120, 40), (90, 180, 70), (200, 240, 190))
    pixels = raster(make_spec("digital_illustration", style_palette=greens))
    r, g, b = pixels.reshape(-1, 3).mean(axis=0)
    assert g > r + 15 and g > b + 15


def test_palette_follows_the_prompt_not_the_seed() -> None:
    a = svg_root(make_spec("icon", seed=1))
    b = svg_root(make_spec("icon", seed=2))
    assert paths(a)[0].get("fill") == paths(b)[0].get("fill")


# --- complexity -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", VECTOR_STYLES)
def test_artistic_level_adds_svg_elements(style: str) -> None:
    low = sum(len(paths(svg_root(make_spec(style, artistic_level=0, seed=s)))) for s in range(3))
    high = sum(len(paths(svg_root(make_spec(style, artistic_level=5, seed=s)))) for s in range(3))
    assert high > low * 1.5


@pytest.mark.parametrize("style", RASTER_STYLES)
def test_artistic_level_adds_raster_detail(style: str) -> None:
    def energy(level: int) -> float:
        return sum(
            edge_energy(raster(make_spec(style, artistic_level=level, seed=s))) for s in range(3)
        )

    assert energy(5) > energy(0) * 1.15


def test_default_level_is_between_the_extremes() -> None:
    def count(level: int | None) -> int:
        specs = [make_spec("vector_illustration", artistic_level=level, seed=s) for s in range(4)]
        return sum(len(paths(svg_root(spec))) for spec in specs)

    assert count(0) < count(None) < count(5)


# --- substyles and negative prompt ------------------------------------------------------------


def test_unknown_substyle_has_no_effect() -> None:
    assert look_for("no_such_substyle", frozenset()) == Look()
    assert look_for(None, frozenset()) == Look()


def test_every_catalog_substyle_has_a_look() -> None:
    substyles = {s for models in catalog.STYLES.values() for subs in models.values() for s in subs}
    assert substyles <= SUBSTYLE_LOOKS.keys()


def test_black_and_white_is_grey() -> None:
    pixels = raster(make_spec(substyle="b_and_w"))
    spread = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert spread.mean() < 3
    colour = raster(make_spec())
    assert (colour.max(axis=-1) - colour.min(axis=-1)).mean() > 15


def test_pixel_art_is_made_of_blocks() -> None:
    spec = make_spec("digital_illustration", substyle="pixel_art", width=512, height=512)
    pixels = raster(spec)
    block = 8  # 16 px at 1024 scaled to 512
    blocks = pixels[: 512 // block * block, : 512 // block * block]
    assert (blocks[::block, ::block] == blocks[block - 1 :: block, block - 1 :: block]).all()


def test_motion_blur_smears_horizontally() -> None:
    sharp = raster(make_spec(prompt="city at night", seed=3))
    blurred = raster(make_spec(prompt="city at night", seed=3, substyle="motion_blur"))

    def ratio(p: np.ndarray) -> float:
        g = smoothed_grey(p)
        return float(np.abs(np.diff(g, axis=1)).mean() / np.abs(np.diff(g, axis=0)).mean())

    assert ratio(blurred) < ratio(sharp) * 0.8


@pytest.mark.parametrize("substyle", ["line_art", "outline"])
def test_line_styles_draw_strokes_not_fills(substyle: str) -> None:
    style = "icon" if substyle == "outline" else "vector_illustration"
    spec = make_spec(
        style, substyle=substyle, model="recraftv2" if style == "icon" else "recraftv3"
    )
    drawn = paths(svg_root(spec))[1:]  # after the background
    glyph_paths = [p for p in drawn if p.get("stroke")]
    assert glyph_paths
    assert all(p.get("fill") == "none" for p in glyph_paths)


def test_negative_prompt_removes_named_elements() -> None:
    look = Look()
    digest = bytes(32)
    with_sun = scene_elements(words("sunny hills"), frozenset(), look, digest)
    without = scene_elements(words("sunny hills"), words("sun, clouds"), look, digest)
    assert "sun" in with_sun and "sun" not in without and "clouds" not in without


def test_negative_prompt_can_desaturate() -> None:
    def saturation(negative: str | None) -> float:
        total = 0.0
        for seed in range(2):
            pixels = raster(make_spec("digital_illustration", negative_prompt=negative, seed=seed))
            total += float((pixels.max(axis=-1) - pixels.min(axis=-1)).mean())
        return total

    assert saturation("colorful") < saturation(None) * 0.6


def test_no_text_drops_the_logo_monogram_only() -> None:
    with_letter = raster(make_spec("logo_raster", prompt="Zebra studio"))
    without = raster(make_spec("logo_raster", prompt="Zebra studio", no_text=True))
    changed = np.argwhere(np.abs(with_letter - without).max(axis=-1) > 0)
    assert len(changed) > 100
    # Only the badge centre differs: the letter became a star, the rest is the same image.
    assert changed.min() > 512 * 0.2 and changed.max() < 512 * 0.8


# Digests of a few renders, pinned: refactors of the core must leave every preview image
# byte-identical (pixels for raster, the document for SVG).
PINNED_RENDERS = {
    "realistic": ("realistic_image", {}, "b52b16ad35704d93bbd9cc50418b4ba4509e51402428dd5277825d14fbc6bdef"),
    "illustration_palette": ("digital_illustration", {"substyle": "pixel_art", "artistic_level": 4, "colors": ((200, 30, 30), (20, 40, 200))}, "2d32bd63d16fa3505cfa74d3bc12f86e2e0bc60632b29be63d2c4204b2c89afc"),
    "vector": ("vector_illustration", {}, "f1e2dab0342a890fe82e3eaf4c8d7951f5320df1f62cf8bf03b5352e5560ce0b"),
    "icon_v2": ("icon", {}, "112fe439240ba36b6376a430f4bd0a4160b71f810141c3547697850abf198445"),
    "logo_text": ("logo_raster", {"text_layout": (TextItem("ATELIER", ((0.1, 0.1), (0.9, 0.1), (0.9, 0.3), (0.1, 0.3))),)}, "cb6de297f92ed6709933395903e047453651ac97a1f2124ad60de2e5e74605f4"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PINNED_RENDERS))
def test_renders_are_pinned(name: str) -> None:
    style, changes, digest = PINNED_RENDERS[name]
    spec = replace(
        make_spec(style, prompt="a lighthouse on a rocky coast", seed=7), height=384, **changes
    )
    [artifact] = PreviewEngine().generate(spec)
    data = artifact.image.tobytes() if isinstance(artifact, RasterImage) else artifact.svg.encode()
    assert hashlib.sha256(data).hexdigest() == digest
