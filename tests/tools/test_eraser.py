"""The region eraser: Telea fills, ONNX model wiring (LaMa, MI-GAN), untouched outside pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from atelier.tools.eraser import EraseMaskMismatch, EraserModelError, RegionEraser
from tests.conftest import square_mask

BLUE = (30, 60, 200)
RED = (230, 20, 20)
# The colour the stand-in models paint holes with.
FILL = (10, 200, 30)


def red_square(
    size: tuple[int, int] = (160, 120), mode: str = "RGB"
) -> tuple[Image.Image, Image.Image]:
    """A red square on a textured blue background, and the mask that covers the square."""
    rng = np.random.default_rng(5)
    pixels = np.clip(np.array(BLUE) + rng.normal(0, 6, (size[1], size[0], 3)), 0, 255)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    ImageDraw.Draw(image).rectangle((50, 40, 89, 79), fill=RED)
    return image.convert(mode), square_mask(size, (48, 38, 91, 81))


def assert_outside_identical(before: Image.Image, after: Image.Image, mask: Image.Image) -> None:
    keep = np.asarray(mask) < 128
    assert after.size == before.size and after.mode == before.mode
    assert np.array_equal(np.asarray(after)[keep], np.asarray(before)[keep])


def hole_mean(image: Image.Image, mask: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float64)[np.asarray(mask) >= 128].mean(axis=0)


def model_of(graph: onnx.GraphProto) -> onnx.ModelProto:
    # An IR version old enough for any onnxruntime of the last years (newer onnx defaults higher).
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def constant(name: str, dims: list[int], values: list[float]) -> onnx.NodeProto:
    """A Constant node that outputs the float tensor `values`, of shape `dims`, as `name`."""
    tensor = helper.make_tensor(f"{name}_value", TensorProto.FLOAT, dims, values)
    return helper.make_node("Constant", [], [name], value=tensor)


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def lama_like(path: Path, unit_output: bool = False) -> Path:
    """A LaMa-shaped model: keeps the image where mask = 0, paints FILL where mask = 1.

    Honouring the mask (rather than painting everything) proves the mask reaches the model
    with LaMa's polarity; output in 0..255, or 0..1 with `unit_output`.
    """
    scale = 1.0 if unit_output else 255.0
    fill = [c / 255.0 * scale for c in FILL]
    nodes = [
        constant("one", [], [1.0]),
        constant("scale", [], [scale]),
        constant("fill", [1, 3, 1, 1], fill),
        helper.make_node("Sub", ["one", "mask"], ["keep"]),
        helper.make_node("Mul", ["image", "scale"], ["scaled"]),
        helper.make_node("Mul", ["scaled", "keep"], ["kept"]),
        helper.make_node("Mul", ["fill", "mask"], ["painted"]),
        helper.make_node("Add", ["kept", "painted"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "lama_like",
        [
            helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 512, 512]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 512, 512]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 512, 512])],
    )
    return save(model_of(graph), path)


def migan_like(path: Path) -> Path:
    """An MI-GAN-pipeline-shaped model: uint8 in/out at any size, mask 255 = keep, 0 = hole."""
    nodes = [
        constant("full", [], [255.0]),
        constant("fill", [1, 3, 1, 1], list(map(float, FILL))),
        helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["mask_f", "full"], ["keep"]),
        helper.make_node("Mul", ["image_f", "keep"], ["kept"]),
        helper.make_node("Mul", ["fill", "keep"], ["fill_kept"]),
        helper.make_node("Sub", ["fill", "fill_kept"], ["painted"]),
        helper.make_node("Add", ["kept", "painted"], ["sum"]),
        helper.make_node("Cast", ["sum"], ["result"], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(
        nodes,
        "migan_like",
        [
            helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 3, "h", "w"]),
            helper.make_tensor_value_info("mask", TensorProto.UINT8, [1, 1, "h", "w"]),
        ],
        [helper.make_tensor_value_info("result", TensorProto.UINT8, [1, 3, "h", "w"])],
    )
    return save(model_of(graph), path)


def test_telea_fills_from_the_surroundings() -> None:
    image, mask = red_square()
    result = RegionEraser().erase(image, mask)
    assert_outside_identical(image, result, mask)
    red, green, blue = hole_mean(result, mask)
    assert blue > 150 and red < 80  # mostly blue now, no longer red
    assert np.abs(hole_mean(result, mask) - np.array(BLUE)).max() < 30


def test_telea_keeps_rgba_and_grey_modes() -> None:
    for mode in ("RGBA", "L"):
        image, mask = red_square(mode=mode)
        result = RegionEraser().erase(image, mask)
        assert_outside_identical(image, result, mask)
    image, mask = red_square(mode="RGBA")
    assert np.asarray(RegionEraser().erase(image, mask))[60, 70, 3] == 255


def test_empty_mask_returns_the_image_unchanged() -> None:
    image, _ = red_square()
    result = RegionEraser().erase(image, Image.new("L", image.size, 0))
    assert np.array_equal(np.asarray(result), np.asarray(image))


def test_mask_of_another_size_is_rejected() -> None:
    image, _ = red_square()
    with pytest.raises(EraseMaskMismatch) as info:
        RegionEraser().erase(image, Image.new("L", (10, 10), 255))
    assert info.value.status == 400


@pytest.mark.parametrize("unit_output", [False, True])
def test_lama_model_fills_the_hole(tmp_path: Path, unit_output: bool) -> None:
    eraser = RegionEraser(lama_like(tmp_path / "lama.onnx", unit_output))
    image, mask = red_square()
    result = eraser.erase(image, mask)
    assert_outside_identical(image, result, mask)
    # Resizing to 512 and back blends a pixel or two at the hole's rim with its surroundings.
    inner = np.asarray(result)[45:75, 55:85].reshape(-1, 3).astype(np.int16)
    assert np.abs(inner - np.array(FILL)).max() <= 3


def test_lama_crop_is_pasted_back_in_place_on_a_large_image(tmp_path: Path) -> None:
    eraser = RegionEraser(lama_like(tmp_path / "lama.onnx"))
    image = Image.new("RGB", (1200, 900), BLUE)
    mask = square_mask(image.size, (1000, 700, 1099, 799))
    result = np.asarray(eraser.erase(image, mask)).astype(np.int16)
    assert np.abs(result[705:795, 1005:1095] - np.array(FILL)).max() <= 3
    assert np.array_equal(result[:700], np.asarray(image)[:700])


def test_migan_model_fills_the_hole(tmp_path: Path) -> None:
    eraser = RegionEraser(migan_like(tmp_path / "migan.onnx"))
    image, mask = red_square()
    result = eraser.erase(image, mask)
    assert_outside_identical(image, result, mask)
    hole = np.asarray(result)[np.asarray(mask) >= 128].astype(np.int16)
    assert np.abs(hole - np.array(FILL)).max() <= 1


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    image, mask = red_square()
    with pytest.raises(EraserModelError):
        RegionEraser(tmp_path / "absent.onnx").erase(image, mask)


def test_a_hard_mask_is_filled_from_the_pixels_right_next_to_it() -> None:
    # Gray 100 with a 1-px ring of 200 just outside the hole: without dilating a hard mask,
    # the ring is known and the fill continues it (a dilated hole would ignore it).
    pixels = np.full((120, 120, 3), 100, np.uint8)
    pixels[39:81, 39:81] = 200
    image = Image.fromarray(pixels)
    out = np.asarray(RegionEraser().erase(image, square_mask(image.size, (40, 40, 80, 80))))
    assert out[40:80, 40:80].mean() > 180
    assert np.array_equal(out[:39], pixels[:39])  # nothing outside the mask changes


def test_a_soft_mask_s_fringe_is_not_taken_as_known() -> None:
    # The erased object's anti-aliased edge (mask 1..127) is red; the fill must not pick it up.
    pixels = np.full((120, 120, 3), 100, np.uint8)
    pixels[38:82, 38:82] = (255, 0, 0)
    mask = np.zeros((120, 120), np.uint8)
    mask[38:82, 38:82] = 64  # the fringe
    mask[40:80, 40:80] = 255
    out = np.asarray(RegionEraser().erase(Image.fromarray(pixels), Image.fromarray(mask)))
    inside = out[40:80, 40:80].astype(int)
    assert abs(inside[..., 0].mean() - 100) < 10 and abs(inside[..., 1].mean() - 100) < 10
    assert np.array_equal(out[38:40, 38:82], pixels[38:40, 38:82])  # the fringe is kept as is


def test_a_hole_too_large_for_the_biharmonic_solve_is_filled_too() -> None:
    image = Image.new("RGB", (400, 400), (30, 120, 200))
    mask = square_mask(image.size, (50, 50, 350, 350))  # 90,000 pixels: Navier-Stokes
    out = np.asarray(RegionEraser().erase(image, mask))
    assert np.abs(out.astype(int) - (30, 120, 200)).max() <= 1
