"""The diffusers engine in-process, on a tiny randomly initialised pipeline: batching,
isolation of a failing request, seeds, sizes, edits."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from atelier.engines.base import Artifact, EditSpec, GenerationSpec, RasterImage, VectorImage
from atelier.engines.diffusion import DiffusionEngine, ModelUnavailable
from atelier.engines.diffusion.configs import build_pipeline
from atelier.errors import InvalidRequest
from atelier.finishing import finish_generated, pull_toward_palette
from tests.conftest import assert_same_image, square_mask
from tests.engines.original_checkpoint import single_file_model

SIZE = 256


@pytest.fixture(scope="module")
def engine(tiny_weights: Path) -> Iterator[DiffusionEngine]:
    yield DiffusionEngine({"recraftv3": tiny_weights}, steps=2, max_batch=8, batch_wait_seconds=0.3)


def spec(prompt: str = "a cat", seed: int = 1, n: int = 1, **changes: Any) -> GenerationSpec:
    fields: dict[str, Any] = dict(
        prompt=prompt, model="recraftv3", style="any", substyle=None, width=SIZE, height=SIZE,
        seed=seed, n=n,
    )  # fmt: skip
    return GenerationSpec(**{**fields, **changes})


def raster(artifact: object) -> Image.Image:
    assert isinstance(artifact, RasterImage)
    return artifact.image


def test_sizes_counts_and_seeds(engine: DiffusionEngine) -> None:
    images = [raster(a) for a in engine.generate(spec(n=2, width=264, height=200))]
    assert [im.size for im in images] == [(264, 200), (264, 200)]
    assert ImageChops.difference(images[0], images[1]).getbbox() is not None
    # The seed reproduces its image (batch size may change float rounding, not the image).
    again = raster(engine.generate(spec(width=264, height=200))[0])
    assert_same_image(again, images[0])


def test_concurrent_compatible_requests_share_forward_passes(engine: DiffusionEngine) -> None:
    before = engine.batcher.calls
    barrier = threading.Barrier(4)

    def one(seed: int) -> Image.Image:
        barrier.wait()
        return raster(engine.generate(spec(seed=seed))[0])

    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(one, [10, 11, 12, 13]))
    assert engine.batcher.calls - before < 4
    # Batched or not, a seed gives the image it gives alone.
    alone = raster(engine.generate(spec(seed=12))[0])
    assert_same_image(alone, images[2])


def test_a_failing_request_fails_alone(engine: DiffusionEngine) -> None:
    model = engine.models["recraftv3"]
    real = model.text2img

    def poisoned(**kwargs: Any) -> Any:
        if any("POISON" in p for p in kwargs["prompt"]):
            raise RuntimeError("this prompt breaks the model")
        return real(**kwargs)

    model.text2img = poisoned
    try:
        barrier = threading.Barrier(3)

        def one(prompt: str) -> str:
            barrier.wait()
            try:
                engine.generate(spec(prompt))
            except RuntimeError:
                return "failed"
            return "ok"

        with ThreadPoolExecutor(3) as pool:
            outcomes = list(pool.map(one, ["a dog", "POISON", "a bird"]))
    finally:
        model.text2img = real
    assert outcomes == ["ok", "failed", "ok"]


def test_edits_keep_pixels_outside_the_mask(engine: DiffusionEngine) -> None:
    source = Image.new("RGB", (SIZE, SIZE), (30, 90, 200))
    mask = square_mask(source.size, (0, 0, 99, 99))
    (inpainted,) = engine.edit(EditSpec("inpaint", spec(), source, mask))
    diff = ImageChops.difference(inpainted, source).getbbox()
    assert diff is not None and diff[2] <= 100 and diff[3] <= 100
    (changed,) = engine.edit(EditSpec("image_to_image", spec(), source, None, 0.6))
    assert changed.size == source.size and ImageChops.difference(changed, source).getbbox()
    (same,) = engine.edit(EditSpec("image_to_image", spec(), source, None, 0.0))
    assert ImageChops.difference(same, source).getbbox() is None


def generated(engine: DiffusionEngine, spec: GenerationSpec) -> list[Artifact]:
    """What the domain makes of the engine's images (palette, words and SVG are applied by
    the finishing step every engine shares)."""
    return finish_generated(engine, spec, engine.generate(spec))


def test_vector_styles_are_traced_and_text_is_composited(engine: DiffusionEngine) -> None:
    (svg,) = generated(
        engine, spec(style="vector_illustration", vector=True, colors=((200, 0, 0),))
    )
    assert isinstance(svg, VectorImage)
    root = ET.fromstring(svg.svg)
    assert root.get("width") == str(SIZE)
    fills = {e.get("fill") for e in root.iter() if e.get("fill")}
    assert fills and fills <= {"#c80000"}  # snapped to the palette
    from atelier.engines.base import TextItem

    layout = (TextItem("HI", ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9))),)
    plain = raster(generated(engine, spec(seed=3))[0])
    text = raster(generated(engine, spec(seed=3, text_layout=layout))[0])
    assert ImageChops.difference(plain, text).getbbox() is not None


def test_unconfigured_model_and_missing_weights(engine: DiffusionEngine, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest):
        engine.generate(spec(model="recraftv2"))
    with pytest.raises(ModelUnavailable, match="not found"):
        DiffusionEngine({"recraftv3": tmp_path / "nothing"})
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model_index.json").write_text("{not json")
    with pytest.raises(ModelUnavailable, match="do not load"):
        DiffusionEngine({"recraftv3": tmp_path / "broken"})


def test_a_single_file_checkpoint_loads_with_the_configs_beside_it(
    engine: DiffusionEngine, tiny_weights: Path, tmp_path: Path
) -> None:
    checkpoint = single_file_model(tiny_weights, tmp_path / "tiny")
    single = DiffusionEngine({"recraftv3": checkpoint}, steps=2, batch_wait_seconds=0)
    image = raster(single.generate(spec(seed=21))[0])
    same = raster(engine.generate(spec(seed=21))[0])
    assert_same_image(image, same)

    (tmp_path / "tiny" / "model_index.json").unlink()
    with pytest.raises(ModelUnavailable, match="configs beside it"):
        DiffusionEngine({"recraftv3": checkpoint})
    pickle = tmp_path / "tiny" / "tiny.ckpt"
    pickle.write_bytes(b"not loaded")
    with pytest.raises(ModelUnavailable, match="must be .safetensors"):
        DiffusionEngine({"recraftv3": pickle})


def test_a_folder_of_fp16_variant_weights_loads(engine: DiffusionEngine, tmp_path: Path) -> None:
    # What people download from a model repository: only the *.fp16.safetensors files.
    build_pipeline("tiny-sd").save_pretrained(tmp_path, safe_serialization=True, variant="fp16")
    assert not list(tmp_path.glob("*/diffusion_pytorch_model.safetensors"))
    variant = DiffusionEngine({"recraftv3": tmp_path}, steps=2, batch_wait_seconds=0)
    image = raster(variant.generate(spec(seed=8))[0])
    same = raster(engine.generate(spec(seed=8))[0])
    assert_same_image(image, same)


def record_guidance(engine: DiffusionEngine) -> list[tuple[float, object]]:
    """The (guidance scale, negative prompts) of every text-to-image call ``engine`` makes."""
    model = engine.models["recraftv3"]
    real, seen = model.text2img, []

    def recording(**kwargs: Any) -> Any:
        seen.append((kwargs["guidance_scale"], kwargs["negative_prompt"]))
        return real(**kwargs)

    model.text2img = recording
    return seen


def test_artistic_level_scales_guidance(tiny_weights: Path) -> None:
    guided = DiffusionEngine({"recraftv3": tiny_weights}, steps=1, guidance=4.0)
    seen = record_guidance(guided)
    for level in (0, None, 5):
        guided.generate(spec(artistic_level=level, negative_prompt="blurry"))
    assert seen == [(4.0 * 1.3, ["blurry"]), (4.0, ["blurry"]), (4.0 * 0.7, ["blurry"])]

    # A distilled model runs without guidance whatever the level, so without negatives too.
    distilled = DiffusionEngine({"recraftv3": tiny_weights}, steps=1)
    seen = record_guidance(distilled)
    distilled.generate(spec(artistic_level=5, negative_prompt="blurry"))
    assert seen == [(0.0, None)]


def test_colors_pull_each_pixel_toward_its_nearest_palette_colour(engine: DiffusionEngine) -> None:
    image = Image.new("RGB", (4, 1))
    image.putdata([(200, 20, 20), (20, 20, 200), (90, 100, 121), (255, 0, 0)])
    pulled = pull_toward_palette(image, [(255, 0, 0), (0, 0, 255)], amount=0.5)
    assert list(pulled.getdata()) == [(228, 10, 10), (10, 10, 228), (45, 50, 188), (255, 0, 0)]

    red = (255, 0, 0)
    plain = raster(generated(engine, spec(seed=4, background_color=red))[0])
    steered = raster(generated(engine, spec(seed=4, colors=(red,)))[0])

    def distance_to_red(im: Image.Image) -> float:
        r, g, b = (sum(band.getdata()) / (im.width * im.height) for band in im.split())
        return float(((255 - r) ** 2 + g**2 + b**2) ** 0.5)

    # A lone background colour only words the prompt; a palette also pulls the pixels.
    assert distance_to_red(steered) < 0.8 * distance_to_red(plain)
