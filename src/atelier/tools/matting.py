"""Background removal (matting): an ONNX salient-object model run on the CPU with onnxruntime.

The default model is ISNet, fetched at build time by scripts/fetch_isnet.py into
models/isnet.onnx. A user may point the server at another ONNX file instead; rembg's
u2net family and BiRefNet files work too. Each model family wants its own input
normalisation, described by a `Preset`:

* ``isnet``    - 1024x1024, (RGB - 128) / 256: what @imgly/background-removal feeds ISNet.
* ``u2net``    - 320x320, ImageNet mean/std on RGB scaled by the image's maximum (rembg).
* ``birefnet`` - 1024x1024, same normalisation as u2net (rembg).

With no preset given, it is guessed from the model's input (see `detect_preset`): a
320-pixel input is u2net, an input named "input_image" (BiRefNet's export) is birefnet,
anything else is isnet. Models that emit logits instead of probabilities (BiRefNet) are
recognised from their output range and passed through a sigmoid. As rembg does, the mask
is then min-max normalised to 0..1 and resized back to the image with bilinear filtering.

Memory: the network always runs at its fixed input size, so its cost does not grow with
the image; tiling would not help a model that needs to see the whole picture to tell the
subject from the background. What bounds memory instead is the session's options (no
arena, no pre-planned memory pattern, no NCHWc weight copies) and running one inference
at a time per remover. Peak RSS of a process removing the background of a 1024x1024
image is about 0.95 GB with ISNet (bench/bench_matting_rss.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from atelier.errors import ModelUnavailable
from atelier.tools.base import Matting
from atelier.tools.onnx_session import (
    InferenceThread,
    LazySession,
    cpu_session,
    default_threads,
)

if TYPE_CHECKING:
    from atelier.config import Settings


@dataclass(frozen=True)
class Preset:
    """How one model family wants its input: side length and per-channel normalisation.

    A pixel value v (0..255) goes in as (v / scale - mean) / std, where scale is 255 when
    `scale_by_max` is False, else the image's maximum value (rembg's convention).
    """

    name: str
    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    scale_by_max: bool = False


_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)

PRESETS: dict[str, Preset] = {
    # (v - 128) / 256 == (v / 255 - 128 / 255) / (256 / 255)
    "isnet": Preset("isnet", 1024, (128 / 255,) * 3, (256 / 255,) * 3),
    "u2net": Preset("u2net", 320, _IMAGENET_MEAN, _IMAGENET_STD, scale_by_max=True),
    "birefnet": Preset("birefnet", 1024, _IMAGENET_MEAN, _IMAGENET_STD, scale_by_max=True),
}


def detect_preset(input_name: str, input_shape: list[Any]) -> Preset:
    """Guess the model family from its input, as exported by imgly (ISNet) or rembg."""
    side = input_shape[-1] if len(input_shape) == 4 else None
    if side == 320:
        return PRESETS["u2net"]
    if input_name == "input_image":
        return PRESETS["birefnet"]
    return PRESETS["isnet"]


def to_batch(
    image: Image.Image, preset: Preset, side: int, dtype: type[np.floating[Any]] = np.float32
) -> np.ndarray:
    """The image as a model's 1x3xSxS input batch, resized and normalised per the preset."""
    # PIL's resize filters widen with the reduction factor, so downsizing a large
    # image with BILINEAR still averages every pixel (no aliasing).
    rgb = image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.float32)
    scale = max(float(pixels.max()), 1e-6) if preset.scale_by_max else 255.0
    mean = np.asarray(preset.mean, dtype=np.float32)
    std = np.asarray(preset.std, dtype=np.float32)
    normalised = (pixels / scale - mean) / std
    batch = normalised.transpose(2, 0, 1)[np.newaxis]  # HWC -> 1xCxHxW
    return np.ascontiguousarray(batch, dtype=dtype)


def to_mask(prediction: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """A model's output (1x1xHxW or similar) as an "L" mask of the given (width, height)."""
    if prediction.ndim < 2:
        raise ModelUnavailable(f"matting model output has shape {prediction.shape}, not HxW")
    mask = prediction[(0,) * (prediction.ndim - 2)].astype(np.float32)  # the first map
    mask = np.nan_to_num(mask, nan=0.0)  # a NaN would survive min-max and break the cast
    low, high = float(mask.min()), float(mask.max())
    if low < 0.0 or high > 1.0:
        # Logits (BiRefNet), not probabilities: squash them first, as rembg does.
        mask = 1.0 / (1.0 + np.exp(-np.clip(mask, -80.0, 80.0)))  # clip: no overflow
        low, high = float(mask.min()), float(mask.max())
    if high - low > 1e-6 and math.isfinite(high - low):
        mask = (mask - low) / (high - low)
    else:
        # A constant prediction: nothing to stretch; keep it as it is.
        mask = np.clip(mask, 0.0, 1.0)
    # Resize as floats, then quantise once, to keep the soft edges smooth.
    resized = Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR)
    levels = np.clip(np.asarray(resized) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(levels)


class BackgroundRemover(LazySession, Matting):
    """Computes an alpha mask of an image's foreground with an ONNX matting model.

    The onnxruntime session is created on first use, once, and shared by all threads.
    Inference itself is serialised: each run of ISNet needs ~0.8 GB of activations, and
    running several at once would multiply that.
    """

    def __init__(
        self,
        model_path: Path,
        input_size: int | None = None,
        *,
        preset: str | None = None,
        threads: int | None = None,
    ) -> None:
        """model_path: the ONNX file. input_size: overrides the side length the image is
        resized to (needed only for models whose input shape is dynamic). preset: one of
        PRESETS ("isnet", "u2net", "birefnet"); None detects it from the model."""
        super().__init__()
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"unknown matting preset {preset!r}; one of {sorted(PRESETS)}")
        self.model_path = Path(model_path)
        self._input_size = input_size
        self._preset_name = preset
        self._threads = threads or default_threads()
        self._input_name = ""
        self._output_name = ""
        self._input_dtype: type[np.floating[Any]] = np.float32
        self._preset = PRESETS["isnet"]
        self._size = 0
        self._inference = InferenceThread("matting")
        self.sessions_created = 0  # for tests and diagnostics: stays at 1 once loaded

    @classmethod
    def from_settings(cls, settings: Settings) -> BackgroundRemover:
        return cls(settings.matting_model_path, preset=settings.matting_preset)

    # -- public API ---------------------------------------------------------------------

    def alpha(self, image: Image.Image) -> Image.Image:
        """The foreground mask of `image`: mode "L", same size, 0 background..255 subject."""
        self._ensure_session()
        batch = to_batch(image, self._preset, self._size, self._input_dtype)
        # Ask for the first output only: ISNet also exposes 11 side outputs (up to 64x512x512
        # floats each) that we would otherwise copy out and throw away.
        (prediction,) = self._inference.run(
            self._session.run, [self._output_name], {self._input_name: batch}
        )
        return to_mask(np.asarray(prediction), image.size)

    def remove(self, image: Image.Image) -> Image.Image:
        """`image` with its background made transparent: RGBA, the input's RGB and our alpha."""
        cutout = image.convert("RGB")
        cutout.putalpha(self.alpha(image))
        return cutout

    @property
    def preset(self) -> Preset:
        """The preset in use (loads the model, since detection reads its input)."""
        self._ensure_session()
        return self._preset

    # -- session ------------------------------------------------------------------------

    def _load(self) -> None:
        # A failure is not remembered: the next request tries again, so a model put in
        # place after start-up (e.g. by `make`) is picked up without a restart.
        path = self.model_path
        if not path.is_file():
            raise ModelUnavailable(
                f"matting model {path} not found; run `make` to fetch it, or set "
                "ATELIER_MATTING_MODEL_PATH to an ONNX matting model"
            )

        try:
            session = cpu_session(path, self._threads)
        except Exception as exc:  # onnxruntime raises its own, unexported exception types
            raise ModelUnavailable(f"matting model {path} could not be loaded: {exc}") from exc

        inputs, outputs = session.get_inputs(), session.get_outputs()
        shape = list(inputs[0].shape) if inputs else []
        # Dimensions may be symbolic (str/None) in a dynamic export; only a fixed one can be wrong.
        channels_ok = len(shape) == 4 and (shape[1] == 3 or not isinstance(shape[1], int))
        if len(inputs) != 1 or not outputs or not channels_ok:
            raise ModelUnavailable(
                f"{path} is not a matting model: expected one 1x3xHxW image input, "
                f"got {[(i.name, i.shape) for i in inputs]}"
            )
        preset = (
            PRESETS[self._preset_name]
            if self._preset_name
            else detect_preset(inputs[0].name, shape)
        )
        # A static input shape is authoritative; otherwise the caller's size or the preset's.
        static_side = shape[-1] if isinstance(shape[-1], int) and shape[-1] > 0 else None
        self._size = static_side or self._input_size or preset.size
        self._preset = preset
        self._input_name = inputs[0].name
        self._output_name = outputs[0].name
        self._input_dtype = np.float16 if inputs[0].type == "tensor(float16)" else np.float32
        self._session = session
        self.sessions_created += 1
