"""Region erasing: fill masked pixels from their surroundings (biharmonic, or a LaMa/MI-GAN model).

Default, no weights: biharmonic inpainting (scikit-image), the smoothest fill that continues
the surroundings' values and gradients into the hole; it beats OpenCV's Telea and
Navier-Stokes on the pixels filled and on the seam (`make quality`, docs/quality.md). Its
solve grows faster than the hole, so holes past _BIHARMONIC_MAX_PIXELS get OpenCV's
Navier-Stokes fill (radius 3; it beats Telea too, and keeps a flat surround flat): a second
instead of many. Both are convincing for small objects on smooth or uniform
backgrounds and blurry on large holes in texture.

With `onnx_model_path`: a learned inpainting model run with onnxruntime, which synthesises
texture and structure. Two exports are recognised by their input types:
  * LaMa (e.g. Carve/LaMa-ONNX): float inputs "image" 1x3xSxS in 0..1 and "mask" 1x1xSxS
    (1 = hole), S = 512 unless the model fixes another size; output 1x3xSxS in 0..255
    (or 0..1, detected). A square crop around the mask's bounding box, with context around it,
    is resized to S, filled, resized back and pasted.
  * MI-GAN pipeline (Picsart's create_onnx_pipeline.py): uint8 inputs "image" 1x3xHxW and
    "mask" 1x1xHxW (255 = keep, 0 = hole) at any size; output uint8 1x3xHxW. It is given the
    same crop, at its own size.

Whatever the engine, pixels outside the mask are returned unchanged, bit for bit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image

from atelier.errors import InvalidRequest, ModelUnavailable
from atelier.tools.base import Erasing
from atelier.tools.onnx_session import cpu_session

if TYPE_CHECKING:
    from atelier.config import Settings

_LAMA_SIZE = 512
# Fraction of the mask's bounding box added as context on each side of the crop fed to a model.
_CONTEXT = 0.5
# About a second of biharmonic solve on one core; larger holes are filled by Navier-Stokes.
_BIHARMONIC_MAX_PIXELS = 60_000
# Navier-Stokes' neighbourhood: small and fixed; larger radii blur the seam (docs/quality.md).
_RADIUS = 3


class EraseMaskMismatch(InvalidRequest):
    """The mask does not have the image's size."""

    code = "invalid_mask"


class EraserModelError(ModelUnavailable):
    """The configured ONNX inpainting model cannot be loaded or run (a deployment problem)."""


@dataclass(frozen=True)
class _Box:
    left: int
    top: int
    right: int
    bottom: int


class RegionEraser(Erasing):
    """Erases masked regions of images; safe to share between threads."""

    def __init__(self, onnx_model_path: Path | None = None) -> None:
        self.onnx_model_path = onnx_model_path
        self._session: Any = None
        self._load_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RegionEraser:
        return cls(settings.eraser_model_path)

    def erase(self, image: Image.Image, mask: Image.Image) -> Image.Image:
        """`image` with the pixels where `mask` is white (>= 128) filled from their surroundings.

        The result has the image's mode where it is RGB, RGBA or L; other modes come back RGB.
        """
        if mask.size != image.size:
            raise EraseMaskMismatch(
                f"mask is {mask.size[0]}x{mask.size[1]}, image is {image.size[0]}x{image.size[1]}",
                param="mask",
            )
        levels = np.asarray(mask.convert("L"))
        hole = levels >= 128
        # A soft mask's anti-aliased fringe (1..127) is left to the fill as unknown, so the
        # erased object's edge colours do not bleed in; a hard mask is taken as it is. Only the
        # mask itself (>= 128) is composited.
        unknown = levels > 0
        mode = image.mode if image.mode in ("RGB", "RGBA", "L") else "RGB"
        source = image.convert(mode)
        if not hole.any():
            return source.copy()
        pixels = np.asarray(source)
        if pixels.ndim == 2:  # "L": the fills work on colour, gray is its special case
            filled = self._fill(np.dstack([pixels] * 3), unknown)[..., 0]
        elif pixels.shape[2] == 4:
            alpha = _smooth_fill(pixels[..., 3:], unknown)[..., 0]
            filled = np.dstack([self._fill(pixels[..., :3], unknown), alpha])
        else:
            filled = self._fill(pixels, unknown)
        # Composite through the mask: everything outside it stays identical to the input.
        result = pixels.copy()
        result[hole] = filled[hole]
        return Image.fromarray(result, mode)

    def _fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        if self.onnx_model_path is None:
            return _smooth_fill(rgb, hole)
        return self._fill_with_model(rgb, hole)

    def _fill_with_model(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        session = self._model()
        box = _crop_box(hole)
        crop = np.ascontiguousarray(rgb[box.top : box.bottom, box.left : box.right])
        crop_hole = hole[box.top : box.bottom, box.left : box.right]
        inputs = {i.name: i for i in session.get_inputs()}
        if inputs["image"].type == "tensor(uint8)":
            fill = _run_migan(session, crop, crop_hole)
        else:
            fill = _run_lama(session, crop, crop_hole, _model_size(inputs["image"].shape))
        out = rgb.copy()
        out[box.top : box.bottom, box.left : box.right] = fill
        return out

    def _model(self) -> Any:
        with self._load_lock:
            if self._session is None:
                self._session = _load_session(self.onnx_model_path)
            return self._session


def _smooth_fill(pixels: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``pixels`` (H x W x C, 8-bit) with ``hole`` filled without weights: biharmonic up to
    _BIHARMONIC_MAX_PIXELS, Navier-Stokes past it."""
    if int(hole.sum()) > _BIHARMONIC_MAX_PIXELS:
        source = np.ascontiguousarray(pixels if pixels.shape[2] == 3 else pixels[..., 0])
        out = cv2.inpaint(source, hole.astype(np.uint8) * 255, _RADIUS, cv2.INPAINT_NS)
        return out if out.ndim == 3 else out[..., None]
    from skimage.restoration import inpaint_biharmonic  # imported on first use: start-up

    filled = inpaint_biharmonic(pixels, hole, channel_axis=-1, split_into_regions=True)
    return np.clip(np.rint(filled * 255), 0, 255).astype(np.uint8)


def _crop_box(hole: np.ndarray) -> _Box:
    """Square window around the hole with context on all sides, shifted to fit the image.

    Square, so resizing it to a model's square input does not distort it (except where the
    image itself is narrower than the window).
    """
    rows, cols = np.nonzero(hole)
    top, bottom, left, right = (
        int(rows.min()),
        int(rows.max()) + 1,
        int(cols.min()),
        int(cols.max()) + 1,
    )
    extent = max(bottom - top, right - left)
    side = extent + 2 * max(int(extent * _CONTEXT), 16)
    height, width = hole.shape
    y0, y1 = _window(top, bottom, side, height)
    x0, x1 = _window(left, right, side, width)
    return _Box(left=x0, top=y0, right=x1, bottom=y1)


def _window(start: int, stop: int, side: int, limit: int) -> tuple[int, int]:
    """A span of length `side` centred on [start, stop), moved (then clipped) into [0, limit)."""
    begin = (start + stop - side) // 2
    begin = min(max(begin, 0), max(limit - side, 0))
    return begin, min(begin + side, limit)


def _model_size(shape: list[Any]) -> int:
    """The square side a LaMa export expects: its static size, or 512 for dynamic axes."""
    side = shape[-1] if len(shape) == 4 else None
    return side if isinstance(side, int) and side > 0 else _LAMA_SIZE


def _run_lama(session: Any, crop: np.ndarray, hole: np.ndarray, size: int) -> np.ndarray:
    height, width = hole.shape
    image = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    # Nearest keeps the mask binary; the composite back uses the full-resolution mask anyway.
    mask = cv2.resize(hole.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)
    feed = {
        "image": (image.astype(np.float32) / 255.0).transpose(2, 0, 1)[None],
        "mask": mask.astype(np.float32)[None, None],
    }
    output = np.asarray(_run(session, feed), dtype=np.float32)[0].transpose(1, 2, 0)
    if output.max() <= 1.0 + 1e-3:  # some exports end with a sigmoid range, most with 0..255
        output = output * 255.0
    filled = np.clip(output + 0.5, 0, 255).astype(np.uint8)
    return cv2.resize(filled, (width, height), interpolation=cv2.INTER_CUBIC)


def _run_migan(session: Any, crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
    feed = {
        "image": crop.transpose(2, 0, 1)[None],
        "mask": np.where(hole, 0, 255).astype(np.uint8)[None, None],  # MI-GAN: 255 = keep
    }
    output = np.asarray(_run(session, feed))[0].transpose(1, 2, 0)
    return np.ascontiguousarray(output.astype(np.uint8))


def _run(session: Any, feed: dict[str, np.ndarray]) -> Any:
    """The model's first output; failures (wrong shapes, bad export) become EraserModelError."""
    try:
        return session.run(None, feed)[0]
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise EraserModelError(f"inpainting model failed: {exc}") from exc


def _load_session(path: Path | None) -> Any:
    if path is None or not Path(path).is_file():
        raise EraserModelError(f"inpainting model not found: {path}")
    try:
        session = cpu_session(path)
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise EraserModelError(f"cannot load inpainting model {path}: {exc}") from exc
    names = {i.name for i in session.get_inputs()}
    if not {"image", "mask"} <= names:
        raise EraserModelError(f"model {path} must take inputs 'image' and 'mask', has {names}")
    return session
