"""The matting engine of removeBackground, with the real ISNet model: subjects kept, backgrounds cut."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atelier.tools.matting import (
    PRESETS,
    BackgroundRemover,
    ModelUnavailable,
    detect_preset,
    to_batch,
    to_mask,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL = REPO_ROOT / "models" / "isnet.onnx"


@pytest.fixture(scope="module")
def model_path() -> Path:
    # Fetching the model is a build step (`make`); run it here too, so the tests also work
    # from a bare checkout. It is idempotent: with a good file in place it only hashes it.
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "fetch_isnet.py"), str(MODEL)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return MODEL


@pytest.fixture(scope="module")
def remover(model_path: Path) -> Iterator[BackgroundRemover]:
    yield BackgroundRemover(model_path)


def disc_scene(width: int, height: int) -> tuple[Image.Image, np.ndarray]:
    """A shaded red ball on a pale gradient backdrop, and the ball's true mask."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    backdrop = np.stack(
        [200 + 40 * x / width, 210 + 30 * y / height, np.full_like(x, 225)], axis=-1
    )
    cx, cy, radius = width / 2, height / 2, 0.3 * min(width, height)
    inside = (x - cx) ** 2 + (y - cy) ** 2 < radius**2
    # Lit from the top left: brightness falls off with the distance from a highlight.
    highlight = np.hypot(x - cx + 0.3 * radius, y - cy + 0.3 * radius) / radius
    shade = np.clip(1 - 0.5 * highlight, 0.3, 1)[..., None]
    ball = shade * np.array([220, 60, 40], dtype=np.float32)
    pixels = np.where(inside[..., None], ball, backdrop)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), inside


@pytest.mark.parametrize("size", [(1024, 1024), (800, 600)])
def test_subject_kept_background_cut(remover: BackgroundRemover, size: tuple[int, int]) -> None:
    width, height = size
    image, truth = disc_scene(width, height)
    alpha = remover.alpha(image)
    assert alpha.mode == "L" and alpha.size == size
    a = np.asarray(alpha)
    corners = [a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]]
    assert max(corners) < 10, corners
    assert a[height // 2, width // 2] > 245
    # Not just corners and centre: the cut follows the ball's outline.
    predicted = a > 127
    iou = (predicted & truth).sum() / (predicted | truth).sum()
    assert iou > 0.97, iou


def test_remove_keeps_rgb_and_adds_alpha(remover: BackgroundRemover) -> None:
    image, _ = disc_scene(640, 480)
    rgba_input = image.convert("RGBA")  # any mode goes in; its colours come out unchanged
    cutout = remover.remove(rgba_input)
    assert cutout.mode == "RGBA" and cutout.size == (640, 480)
    assert np.array_equal(np.asarray(cutout)[..., :3], np.asarray(image))
    alpha = np.asarray(cutout)[..., 3]
    assert alpha[0, 0] < 10 and alpha[240, 320] > 245


def test_session_created_once(remover: BackgroundRemover) -> None:
    remover.alpha(Image.new("RGB", (256, 256), "white"))
    remover.alpha(Image.new("RGB", (300, 200), "gray"))
    assert remover.sessions_created == 1
    assert remover.preset.name == "isnet"


def test_concurrent_first_use_loads_once(model_path: Path) -> None:
    fresh = BackgroundRemover(model_path)
    assert fresh.sessions_created == 0  # lazy: constructing it loads nothing
    barrier = threading.Barrier(6)

    def first_use() -> None:
        barrier.wait()
        assert fresh.preset.name == "isnet"  # reading the preset loads the model

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fresh.sessions_created == 1


def test_missing_model_is_unavailable(tmp_path: Path) -> None:
    remover = BackgroundRemover(tmp_path / "nope.onnx")
    with pytest.raises(ModelUnavailable, match="not found") as caught:
        remover.alpha(Image.new("RGB", (256, 256)))
    assert caught.value.status == 503 and caught.value.code == "model_unavailable"


def test_broken_model_is_unavailable(tmp_path: Path, model_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"this is not a protobuf" * 100)
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(model_path.read_bytes()[: 1 << 20])
    for path in (garbage, truncated):
        remover = BackgroundRemover(path)
        with pytest.raises(ModelUnavailable, match="could not be loaded"):
            remover.remove(Image.new("RGB", (256, 256)))
        assert remover.sessions_created == 0


def test_unknown_preset_rejected(model_path: Path) -> None:
    with pytest.raises(ValueError, match="preset"):
        BackgroundRemover(model_path, preset="sam")


@pytest.mark.parametrize(
    ("name", "shape", "expected"),
    [
        ("input", [1, 3, 1024, 1024], "isnet"),  # imgly's ISNet, rembg's isnet-general-use
        ("input.1", [1, 3, 320, 320], "u2net"),  # rembg's u2net, u2netp, silueta
        ("input_image", [1, 3, 1024, 1024], "birefnet"),  # rembg's birefnet-*
        ("x", ["batch", 3, "h", "w"], "isnet"),
    ],
)
def test_detect_preset(name: str, shape: list[object], expected: str) -> None:
    assert detect_preset(name, shape).name == expected


def test_isnet_normalisation() -> None:
    # ISNet (as imgly runs it) wants (RGB - 128) / 256, channels first.
    image = Image.new("RGB", (50, 30), (0, 128, 255))
    batch = to_batch(image, PRESETS["isnet"], 64)
    assert batch.shape == (1, 3, 64, 64) and batch.dtype == np.float32
    assert np.allclose(batch[0, :, 5, 5], [-0.5, 0.0, 127 / 256], atol=1e-6)


def test_imagenet_normalisation() -> None:
    # rembg scales by the image's maximum, then applies ImageNet mean/std.
    image = Image.new("RGB", (40, 40), (100, 200, 50))
    batch = to_batch(image, PRESETS["u2net"], 320, np.float16)
    assert batch.shape == (1, 3, 320, 320) and batch.dtype == np.float16
    expected = (np.array([100, 200, 50]) / 200 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    assert np.allclose(batch[0, :, 0, 0].astype(np.float32), expected, atol=1e-2)


def test_mask_min_max_normalised_and_resized() -> None:
    prediction = np.full((1, 1, 8, 8), 0.2, dtype=np.float32)
    prediction[..., 2:6, 2:6] = 0.6
    mask = np.asarray(to_mask(prediction, (80, 40)))
    assert mask.shape == (40, 80) and mask.dtype == np.uint8
    assert mask.min() == 0 and mask.max() == 255  # stretched to the full range


def test_mask_from_logits_goes_through_sigmoid() -> None:
    logits = np.array([[[[-1000.0, -2.0], [2.0, 1000.0]]]], dtype=np.float32)
    mask = np.asarray(to_mask(logits, (2, 2)))
    assert mask[0, 0] == 0 and mask[1, 1] == 255
    assert 0 < mask[0, 1] < 128 < mask[1, 0] < 255
