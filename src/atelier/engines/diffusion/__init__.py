"""The diffusers engine: real diffusion models from local weights, dynamically batched.

One pipeline is loaded per configured Recraft model id; its image-to-image and inpainting
pipelines share the loaded components (``from_pipe``). Requests with compatible settings that
arrive together run as one batch (``batching.Batcher``); every request keeps its own seeds,
results and charge. Needs the ``diffusion`` extra (torch, diffusers, transformers).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import diffusers
import torch
from PIL import Image

from atelier.engines.base import (
    Artifact,
    EditSpec,
    GenerationEngine,
    GenerationSpec,
    RasterImage,
)
from atelier.engines.batching import Batcher, Job
from atelier.engines.prompt_templates import build_prompts
from atelier.errors import InvalidRequest, ModelUnavailable

if TYPE_CHECKING:
    from atelier.catalog import Model
    from atelier.config import Settings

log = logging.getLogger(__name__)

Kind = Literal["text2img", "img2img", "inpaint"]
# Latent models work on multiples of 8 pixels; other sizes are made slightly larger or
# smaller and resized to the exact size asked for.
_MULTIPLE = 8
# artistic_level 0..5 scales classifier-free guidance: low levels follow the prompt more
# literally, high ones leave the model freer. Distilled models (guidance <= 1) run without
# guidance, so for them the level only changes the prompt's wording.
ARTISTIC_GUIDANCE = (1.3, 1.15, 1.0, 0.9, 0.8, 0.7)


@dataclass
class LoadedModel:
    text2img: Any
    img2img: Any
    inpaint: Any


@dataclass(frozen=True)
class Work:
    """The payload of one batched job."""

    kind: Kind
    prompt: str
    negative: str
    seeds: tuple[int, ...]
    width: int
    height: int
    image: Image.Image | None = None
    mask: Image.Image | None = None
    strength: float = 1.0
    guidance: float = 0.0


def pick_device(preference: str | None = None) -> tuple[torch.device, torch.dtype]:
    """The device and dtype, chosen once: CUDA in bf16 (fp16 without bf16), else CPU fp32."""
    if preference:
        device = torch.device(preference)
    else:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda":
        return device, torch.float32
    return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def load_model(
    model_id: str, path: Path, device: torch.device, dtype: torch.dtype, compile_unet: bool
) -> LoadedModel:
    """Load local weights (a diffusers folder or one .safetensors file); never the hub."""
    if not path.exists():
        raise ModelUnavailable(f"weights for {model_id} not found at {path}")
    log.info("loading %s from %s on %s (%s)", model_id, path, device, dtype)
    try:
        if path.is_file():
            pipe = _single_file_pipeline(model_id, path, dtype)
        else:
            pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
                str(path), dtype=dtype, local_files_only=True, variant=_weights_variant(path)
            )
    except ModelUnavailable:
        raise
    except Exception as exc:  # diffusers raises many kinds for a broken or partial folder
        raise ModelUnavailable(f"weights for {model_id} at {path} do not load: {exc}") from exc
    return prepare_model(pipe, device, dtype, compile_unet)


def _weights_variant(folder: Path) -> str | None:
    """ "fp16" for a folder that holds only the fp16 variant of the UNet's weights.

    Hugging Face repositories often offer ``diffusion_pytorch_model.fp16.safetensors`` beside
    the full-precision file, and people download only the smaller one.
    """
    unet = folder / "unet"
    if (unet / "diffusion_pytorch_model.safetensors").exists():
        return None
    return "fp16" if (unet / "diffusion_pytorch_model.fp16.safetensors").exists() else None


def _single_file_pipeline(model_id: str, path: Path, dtype: torch.dtype) -> Any:
    """A pipeline from one checkpoint file, configured by the folder it lies in.

    A single file holds weights only; the tokenizer, scheduler and component configs come from
    its folder, laid out as the model's Hugging Face repository has them. Without them diffusers
    would fetch configs from the hub, which atelier never does.
    """
    if path.suffix != ".safetensors":
        # .ckpt files are pickles that can run code when loaded.
        raise ModelUnavailable(
            f"weights for {model_id} at {path}: a single-file checkpoint must be .safetensors"
        )
    index = path.parent / "model_index.json"
    if not index.is_file():
        raise ModelUnavailable(
            f"weights for {model_id} at {path}: a single-file checkpoint needs its pipeline "
            f"configs beside it ({index} and the component folders of the model's repository)"
        )
    pipeline_class = getattr(diffusers, json.loads(index.read_text())["_class_name"])
    return pipeline_class.from_single_file(
        str(path), config=str(path.parent), dtype=dtype, local_files_only=True
    )


def prepare_model(
    pipe: Any, device: torch.device, dtype: torch.dtype, compile_unet: bool = False
) -> LoadedModel:
    """Move a text-to-image pipeline to the device and derive its edit pipelines from it."""
    # Casting a pipeline already in `dtype` makes diffusers warn about modules kept in float32.
    if pipe.dtype == dtype:
        pipe.to(device)
    else:
        pipe.to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    if device.type == "cuda":
        # channels_last speeds up the UNet's convolutions on tensor cores; attention already
        # runs through PyTorch's SDPA (flash / memory-efficient kernels) in diffusers.
        pipe.unet.to(memory_format=torch.channels_last)
        if compile_unet:
            pipe.unet = torch.compile(pipe.unet, mode="max-autotune-no-cudagraphs")
    return LoadedModel(
        text2img=pipe,
        img2img=diffusers.AutoPipelineForImage2Image.from_pipe(pipe),
        inpaint=diffusers.AutoPipelineForInpainting.from_pipe(pipe),
    )


def _latent_size(width: int, height: int) -> tuple[int, int]:
    return (
        max(_MULTIPLE, round(width / _MULTIPLE) * _MULTIPLE),
        max(_MULTIPLE, round(height / _MULTIPLE) * _MULTIPLE),
    )


class DiffusionEngine(GenerationEngine):
    name = "diffusers"
    description = "Diffusion models run with Hugging Face diffusers from local weights"

    def __init__(
        self,
        models: dict[str, Any],
        *,
        steps: int = 4,
        guidance: float = 0.0,
        max_batch: int = 8,
        batch_wait_seconds: float = 0.01,
        device: str | None = None,
        compile_unet: bool = False,
    ) -> None:
        """``models`` maps Recraft model ids to weight paths, or to already built pipelines."""
        if not models:
            raise ModelUnavailable(
                "the diffusers engine needs weights: set ATELIER_DIFFUSION_MODELS, e.g. "
                '\'{"recraftv3": "/models/sdxl-turbo"}\''
            )
        self.device, self.dtype = pick_device(device)
        self.steps = steps
        self.guidance = guidance
        self.models: dict[str, LoadedModel] = {}
        for model_id, source in models.items():
            if isinstance(source, str | Path):
                self.models[model_id] = load_model(
                    model_id, Path(source), self.device, self.dtype, compile_unet
                )
            else:  # an already built pipeline (benchmarks, embedding applications)
                self.models[model_id] = prepare_model(source, self.device, self.dtype, compile_unet)
        self.images_made = 0  # written only by the batcher's thread, like batcher.calls
        self.batcher = Batcher(self._run_batch, max_size=max_batch, max_wait=batch_wait_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> DiffusionEngine:
        return cls(
            dict(settings.diffusion_models),
            steps=settings.diffusion_steps,
            guidance=settings.diffusion_guidance,
            max_batch=settings.diffusion_max_batch,
            batch_wait_seconds=settings.diffusion_batch_wait_ms / 1000,
            device=settings.diffusion_device,
            compile_unet=settings.diffusion_compile,
        )

    @classmethod
    def check_models(cls, settings: Settings) -> list[dict[str, object]]:
        device, dtype = pick_device(settings.diffusion_device)
        report: list[dict[str, object]] = []
        for model_id, path in settings.diffusion_models.items():
            row: dict[str, object] = {"id": model_id, "engine": cls.name, "path": str(path)}
            try:
                load_model(model_id, path, device, dtype, compile_unet=False)
                row["loads"] = True
            except ModelUnavailable as exc:
                row.update(loads=False, error=exc.message)
            report.append(row)
        return report

    def serving_id(self, model: Model) -> str | None:
        """The configured id whose weights serve ``model``: its own id, else its family's."""
        return next((key for key in model.weights if key in self.models), None)

    def stats(self) -> dict[str, object]:
        return {
            "forward_passes": self.batcher.calls,
            "batch_sizes": dict(sorted(self.batcher.batch_sizes.items())),
            "images": self.images_made,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "models": sorted(self.models),
        }

    # --- the engine interface ------------------------------------------------------------

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        # Raster only: the palette pull, the layout's words and SVG tracing are applied by
        # the domain's finishing step (finishing.finish_generated), as for every engine.
        return [RasterImage(image) for image in self._submit(spec, "text2img")]

    def edit(self, spec: EditSpec) -> list[Image.Image]:
        source = spec.image.convert("RGB")
        if spec.operation == "inpaint":
            assert spec.mask is not None
            images = self._submit(spec.base, "inpaint", source, spec.mask, 1.0)
            # The model repaints everything a little; only the mask may change.
            return [Image.composite(image, source, spec.mask) for image in images]
        if spec.strength <= 0:
            size = (spec.base.width, spec.base.height)
            return [source.resize(size) for _ in range(spec.base.n)]
        return self._submit(spec.base, "img2img", source, None, spec.strength)

    # --- internals -----------------------------------------------------------------------

    def _submit(
        self,
        spec: GenerationSpec,
        kind: Kind,
        image: Image.Image | None = None,
        mask: Image.Image | None = None,
        strength: float = 1.0,
    ) -> list[Image.Image]:
        if spec.model not in self.models:
            raise InvalidRequest(
                f"model {spec.model} is not served here; configured: {', '.join(self.models)}",
                param="model",
            )
        prompt, negative = build_prompts(spec)
        width, height = _latent_size(spec.width, spec.height)
        guidance = self.guidance
        if guidance > 1 and spec.artistic_level is not None:
            guidance *= ARTISTIC_GUIDANCE[spec.artistic_level]
        work = Work(
            kind=kind,
            prompt=prompt,
            negative=negative,
            seeds=tuple(spec.seed + i for i in range(spec.n)),
            width=width,
            height=height,
            image=image.resize((width, height)) if image else None,
            mask=mask.resize((width, height), Image.Resampling.NEAREST) if mask else None,
            strength=strength,
            guidance=guidance,
        )
        key = (kind, spec.model, width, height, round(strength, 4), round(guidance, 4))
        images: list[Image.Image] = self.batcher.submit(key, spec.n, (spec.model, work))
        size = (spec.width, spec.height)
        return [
            im if im.size == size else im.resize(size, Image.Resampling.LANCZOS) for im in images
        ]

    def _run_batch(self, jobs: Sequence[Job]) -> list[list[Image.Image]]:
        """One pipeline call for all jobs of a batch (they share the key `_submit` gives them)."""
        model_id, first = jobs[0].payload
        works: list[Work] = [job.payload[1] for job in jobs]
        model = self.models[model_id]
        prompts = [w.prompt for w in works for _ in w.seeds]
        negatives = [w.negative for w in works for _ in w.seeds]
        generators = [
            torch.Generator(device=self.device).manual_seed(seed) for w in works for seed in w.seeds
        ]
        common: dict[str, Any] = {
            "prompt": prompts,
            "negative_prompt": negatives if any(negatives) and first.guidance > 1 else None,
            "num_inference_steps": self.steps,
            "guidance_scale": first.guidance,
            "generator": generators,
            "output_type": "pil",
        }
        if first.kind == "text2img":
            output = model.text2img(width=first.width, height=first.height, **common)
        elif first.kind == "img2img":
            # At least one denoising step must remain after strength cuts the schedule.
            common["num_inference_steps"] = max(self.steps, math.ceil(1 / first.strength))
            images = [w.image for w in works for _ in w.seeds]
            output = model.img2img(image=images, strength=first.strength, **common)
        else:
            images = [w.image for w in works for _ in w.seeds]
            masks = [w.mask for w in works for _ in w.seeds]
            output = model.inpaint(
                image=images, mask_image=masks, width=first.width, height=first.height, **common
            )
        flat: list[Image.Image] = [image.convert("RGB") for image in output.images]
        self.images_made += len(flat)
        results, start = [], 0
        for w in works:
            results.append(flat[start : start + len(w.seeds)])
            start += len(w.seeds)
        return results
