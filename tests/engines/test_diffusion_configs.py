"""Tiny random diffusers pipelines: built offline, loaded back, run for all three tasks."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

# Everything here is built locally; a hub lookup would be a bug, so make it fail.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import diffusers  # noqa: E402
import torch  # noqa: E402

from atelier.engines.diffusion.configs import (  # noqa: E402
    Architecture,
    build_pipeline_folder,
    tokenizer_files,
    unet_parameter_count,
)

TINY: list[Architecture] = ["tiny-sd", "tiny-sdxl"]


@pytest.fixture(scope="module", params=TINY)
def pipeline(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = build_pipeline_folder(tmp_path_factory.mktemp(request.param), request.param)
    return diffusers.AutoPipelineForText2Image.from_pretrained(folder, local_files_only=True)


def generate(pipe: Any, seed: int, **options: Any) -> np.ndarray:
    options = {"num_inference_steps": 2, "guidance_scale": 0.0, **options}
    generator = torch.Generator().manual_seed(seed)
    image = pipe("a photo of a cat, détaillé 🐱", generator=generator, **options).images[0]
    return np.asarray(image)


def test_text_to_image_sizes_and_seeds(pipeline: Any) -> None:
    first = generate(pipeline, 1, width=64, height=64)
    assert first.shape == (64, 64, 3)
    assert np.array_equal(first, generate(pipeline, 1, width=64, height=64))
    assert not np.array_equal(first, generate(pipeline, 2, width=64, height=64))
    assert generate(pipeline, 1, width=96, height=64).shape == (64, 96, 3)


def test_text_to_image_with_guidance(pipeline: Any) -> None:
    # Classifier-free guidance runs the negative prompt through the text encoders too.
    image = generate(pipeline, 1, width=64, height=64, guidance_scale=5.0, negative_prompt="blurry")
    assert image.shape == (64, 64, 3)


def test_image_to_image_and_inpainting(pipeline: Any) -> None:
    from PIL import Image

    source = Image.fromarray(generate(pipeline, 1, width=96, height=64))
    image_to_image = diffusers.AutoPipelineForImage2Image.from_pipe(pipeline)
    assert generate(image_to_image, 3, image=source, strength=0.5).shape == (64, 96, 3)

    mask = Image.new("L", source.size, 0)
    mask.paste(255, (16, 16, 48, 48))
    inpainting = diffusers.AutoPipelineForInpainting.from_pipe(pipeline)
    inpainted = generate(
        inpainting, 3, image=source, mask_image=mask, width=96, height=64, strength=0.99
    )
    assert inpainted.shape == (64, 96, 3)


def test_tokenizer_vocabulary_fits_text_encoders(pipeline: Any) -> None:
    vocabulary, _ = tokenizer_files()
    encoded = pipeline.tokenizer("any text at all: ünïcödé, 🐱, <tags>, 1234").input_ids
    assert pipeline.tokenizer.model_max_length == 77
    assert max(encoded) < pipeline.text_encoder.config.vocab_size
    assert encoded[-1] == vocabulary["<|endoftext|>"] == max(vocabulary.values())
    # Common words are single tokens, as with the real vocabulary.
    assert len(pipeline.tokenizer("photo").input_ids) == 3


@pytest.mark.parametrize(
    ("architecture", "parameters"),
    [("sd-turbo", 865_910_724), ("sdxl", 2_567_463_684)],  # the published UNets' counts
)
def test_full_size_unet_parameter_counts(architecture: Architecture, parameters: int) -> None:
    assert unet_parameter_count(architecture) == pytest.approx(parameters, rel=0.05)
