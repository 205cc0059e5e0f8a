"""Configs of diffusion pipelines built without downloads: tiny ones for tests, full-size architectures for benchmarks."""  # noqa: E501

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import torch

Architecture = Literal["tiny-sd", "tiny-sdxl", "sd-turbo", "sdxl"]

# Tokens of the CLIP tokenizer that every pipeline here shares (see `tokenizer_files`).
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
# OpenCLIP text encoders (SD 2.x, SDXL's second one) were trained padding with "!", CLIP-L with
# the end token; copying that keeps the full-size pipelines' attention patterns like the real ones.
OPENCLIP_PAD = "!"

# Words that become single tokens: enough that prompts tokenize into word-sized pieces like the
# real 49408-token vocabulary would; any other text still tokenizes, into byte-level pieces.
COMMON_WORDS_TEXT = """
a an the and or of in on at to with without for from by as is are be it its this that
photo photograph picture image illustration painting drawing sketch render digital art
style vector icon logo poster portrait landscape close up wide shot view background
red orange yellow green blue purple pink brown black white gray grey gold silver colorful
dark light bright soft warm cold vivid pastel neon
cat dog bird fish horse animal tree flower forest mountain river lake sea ocean beach sky
cloud sun moon star night day city street house building car road garden field snow rain
man woman person people child girl boy face hand eye hair smile
small big large tiny old new beautiful cute happy detailed realistic minimal simple flat
high quality sharp focus cinematic lighting studio hd
"""
COMMON_WORDS = tuple(COMMON_WORDS_TEXT.split())


@dataclass(frozen=True)
class PipelineConfig:
    """The configs of one architecture's components (the tokenizers are built by this module)."""

    sdxl: bool  # StableDiffusionXLPipeline (two text encoders) rather than StableDiffusionPipeline
    unet: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]  # CLIPTextConfig keyword arguments
    pad_token: str
    text_encoder_2: dict[str, Any] | None = None  # CLIPTextConfig of a CLIPTextModelWithProjection
    pad_token_2: str | None = None
    full_size: bool = False  # saved in float16 unless told otherwise


# SD-Turbo's scheduler: Euler with "trailing" spacing, so 1 to 4 steps start at pure noise.
SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "interpolation_type": "linear",
    "use_karras_sigmas": False,
    "timestep_spacing": "trailing",
    "steps_offset": 1,
}

# Four VAE blocks, like the real ones, so that latents are 1/8 of the image and every size
# that is a multiple of 8 works exactly as with the full-size models.
TINY_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [8, 8, 16, 16],
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}

TINY_TEXT_ENCODER: dict[str, Any] = {
    "vocab_size": 1000,
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "max_position_embeddings": 77,
    "projection_dim": 32,
    "hidden_act": "gelu",
}

TINY_SD_UNET: dict[str, Any] = {
    "sample_size": 8,  # the pipeline's default size: 8 latents = 64 pixels
    "in_channels": 4,
    "out_channels": 4,
    # Attention only at the lower resolution: at 1024 px the top level has 16384 tokens,
    # which would make a "tiny" model slow; tests run it at full Recraft sizes.
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [32, 64],
    "layers_per_block": 1,
    "attention_head_dim": [2, 4],
    "norm_num_groups": 8,
    "cross_attention_dim": 32,
    "use_linear_projection": True,
}

TINY_SDXL_UNET: dict[str, Any] = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [32, 64],
    "layers_per_block": 1,
    "transformer_layers_per_block": [1, 2],
    "attention_head_dim": [2, 4],
    "norm_num_groups": 8,
    "cross_attention_dim": 64,  # both text encoders' hidden states, concatenated: 32 + 32
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 8,
    # Six size/crop numbers embedded at addition_time_embed_dim each, plus the pooled text
    # embedding of text_encoder_2 (its projection_dim): 6 * 8 + 32.
    "projection_class_embeddings_input_dim": 80,
}

# What the released SD 2.x and SDXL UNet configs share.
RELEASED_UNET_SETTINGS: dict[str, Any] = {
    "act_fn": "silu",
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
}

# stabilityai/sd-turbo (the SD 2.1 base architecture), unet/config.json.
SD_TURBO_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": [
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ],
    "up_block_types": [
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    ],
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "attention_head_dim": [5, 10, 20, 20],
    "cross_attention_dim": 1024,
    "use_linear_projection": True,
    **RELEASED_UNET_SETTINGS,
    "upcast_attention": False,
}

# The SD 2.x VAE (SD-Turbo's).
SD_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "act_fn": "silu",
    "sample_size": 768,
    "scaling_factor": 0.18215,
}

# OpenCLIP ViT-H/14's text tower, of which SD 2.x uses the penultimate layer (hence 23 of 24).
OPENCLIP_VIT_H_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 23,
    "num_attention_heads": 16,
    "max_position_embeddings": 77,
    "projection_dim": 1024,
    "hidden_act": "gelu",
}

# stabilityai/stable-diffusion-xl-base-1.0, unet/config.json.
SDXL_UNET: dict[str, Any] = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [320, 640, 1280],
    "layers_per_block": 2,
    "transformer_layers_per_block": [1, 2, 10],
    "attention_head_dim": [5, 10, 20],
    "cross_attention_dim": 2048,  # CLIP-L 768 + OpenCLIP bigG 1280
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,  # 6 * 256 + 1280
    **RELEASED_UNET_SETTINGS,
}

# The SDXL VAE: the SD one's architecture, retrained, with its own scaling factor; it overflows
# in float16, so SDXL pipelines decode in float32 when its config says so.
SDXL_VAE: dict[str, Any] = {
    **SD_VAE,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
    "force_upcast": True,
}

CLIP_L_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "projection_dim": 768,
    "hidden_act": "quick_gelu",
}

OPENCLIP_BIGG_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 20,
    "max_position_embeddings": 77,
    "projection_dim": 1280,
    "hidden_act": "gelu",
}

CONFIGS: dict[Architecture, PipelineConfig] = {
    "tiny-sd": PipelineConfig(
        sdxl=False,
        unet=TINY_SD_UNET,
        vae=TINY_VAE,
        text_encoder=TINY_TEXT_ENCODER,
        pad_token=END_OF_TEXT,
    ),
    "tiny-sdxl": PipelineConfig(
        sdxl=True,
        unet=TINY_SDXL_UNET,
        vae={**TINY_VAE, "scaling_factor": 0.13025},
        text_encoder=TINY_TEXT_ENCODER,
        pad_token=END_OF_TEXT,
        text_encoder_2=TINY_TEXT_ENCODER,
        pad_token_2=OPENCLIP_PAD,
    ),
    "sd-turbo": PipelineConfig(
        sdxl=False,
        unet=SD_TURBO_UNET,
        vae=SD_VAE,
        text_encoder=OPENCLIP_VIT_H_TEXT,
        pad_token=OPENCLIP_PAD,
        full_size=True,
    ),
    "sdxl": PipelineConfig(
        sdxl=True,
        unet=SDXL_UNET,
        vae=SDXL_VAE,
        text_encoder=CLIP_L_TEXT,
        pad_token=END_OF_TEXT,
        text_encoder_2=OPENCLIP_BIGG_TEXT,
        pad_token_2=OPENCLIP_PAD,
        full_size=True,
    ),
}


@cache
def tokenizer_files() -> tuple[dict[str, int], tuple[str, ...]]:
    """A small CLIP vocabulary and its merges, laid out like the real one.

    Every byte's character, alone and as a word's end ("</w>"), comes first, so any text
    tokenizes; then the merges that spell COMMON_WORDS; the special tokens last, as in CLIP,
    where the end token has the highest id.
    """
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    alphabet = bytes_to_unicode()  # GPT-2's printable character for each byte
    characters = list(alphabet.values())
    tokens = characters + [character + "</w>" for character in characters]
    ranks: dict[tuple[str, str], int] = {}
    for word in COMMON_WORDS:
        # Encode the word with the merges so far, then add merges joining what is left, left to
        # right. Earlier words keep encoding whole: their merges rank before the new ones.
        spelling = "".join(alphabet[byte] for byte in word.encode())
        pieces = bpe([*spelling[:-1], spelling[-1] + "</w>"], ranks)
        while len(pieces) > 1:
            ranks[(pieces[0], pieces[1])] = len(ranks)
            tokens.append(pieces[0] + pieces[1])
            pieces = bpe(pieces, ranks)
    merges = tuple(f"{left} {right}" for left, right in ranks)  # dicts keep insertion order
    tokens += [START_OF_TEXT, END_OF_TEXT]
    return {token: index for index, token in enumerate(tokens)}, merges


def bpe(pieces: list[str], ranks: dict[tuple[str, str], int]) -> list[str]:
    """Apply merges to `pieces` as BPE does: always the best-ranked adjacent pair first."""
    pieces = list(pieces)
    while len(pieces) > 1:
        pairs = [
            (ranks.get(pair, len(ranks)), index) for index, pair in enumerate(pairwise(pieces))
        ]
        rank, index = min(pairs)
        if rank == len(ranks):
            break
        pieces[index : index + 2] = [pieces[index] + pieces[index + 1]]
    return pieces


def build_tokenizer(pad_token: str) -> Any:
    """A CLIPTokenizer from the small vocabulary, written out and read back as CLIP's would be."""
    from transformers import CLIPTokenizer

    vocab, merges = tokenizer_files()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        merges_text = "\n".join(["#version: 0.2", *merges]) + "\n"
        (Path(folder) / "merges.txt").write_text(merges_text, encoding="utf-8")
        return CLIPTokenizer.from_pretrained(
            folder,
            pad_token=pad_token,
            model_max_length=77,
            local_files_only=True,
        )


def build_text_encoder(
    config: dict[str, Any], pad_token: str, dtype: torch.dtype, with_projection: bool
) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    vocab, _ = tokenizer_files()
    if len(vocab) > config["vocab_size"]:
        raise ValueError(f"{len(vocab)} tokens do not fit a text encoder of {config['vocab_size']}")
    # Explicit special ids: the pooled output is read at the first end token, found by id.
    text_config = CLIPTextConfig(
        **config,
        bos_token_id=vocab[START_OF_TEXT],
        eos_token_id=vocab[END_OF_TEXT],
        pad_token_id=vocab[pad_token],
    )
    model_class = CLIPTextModelWithProjection if with_projection else CLIPTextModel
    return cast(model_class(text_config), dtype)


def cast(model: torch.nn.Module, dtype: torch.dtype) -> Any:
    """`model` in inference mode and `dtype`; not cast when already there (diffusers warns)."""
    if dtype != torch.float32:
        model = model.to(dtype)
    return model.eval()


def build_pipeline(
    architecture: Architecture, seed: int = 0, dtype: torch.dtype | None = None
) -> Any:
    """A diffusers pipeline of `architecture` with random weights, built from configs only."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )

    config = CONFIGS[architecture]
    if dtype is None:
        dtype = torch.float16 if config.full_size else torch.float32
    torch.manual_seed(seed)
    # Each component is initialised in float32 (CPU init kernels are surest there) and cast at
    # once: `Module.to` replaces parameters one by one, so the peak is one float32 component.
    unet = cast(UNet2DConditionModel.from_config(config.unet), dtype)
    vae = cast(AutoencoderKL.from_config(config.vae), dtype)
    text_encoder = build_text_encoder(
        config.text_encoder, config.pad_token, dtype, with_projection=False
    )
    scheduler = EulerDiscreteScheduler.from_config(SCHEDULER)
    tokenizer = build_tokenizer(config.pad_token)
    if config.sdxl:
        assert config.text_encoder_2 is not None and config.pad_token_2 is not None
        text_encoder_2 = build_text_encoder(
            config.text_encoder_2, config.pad_token_2, dtype, with_projection=True
        )
        return StableDiffusionXLPipeline(
            vae=vae,
            text_encoder=text_encoder,
            text_encoder_2=text_encoder_2,
            tokenizer=tokenizer,
            tokenizer_2=build_tokenizer(config.pad_token_2),
            unet=unet,
            scheduler=scheduler,
            # Random weights make no picture worth marking, and marking costs time.
            add_watermarker=False,
        )
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def build_pipeline_folder(
    path: Path, architecture: Architecture, seed: int = 0, dtype: torch.dtype | None = None
) -> Path:
    """Save a random pipeline of `architecture` where `from_pretrained(path)` loads it offline.

    `dtype` defaults to float32 for the tiny architectures and float16 for the full-size ones
    (whose float32 weights would take 3.5 GB for SD-Turbo, 10 GB for SDXL).
    """
    pipeline = build_pipeline(architecture, seed=seed, dtype=dtype)
    pipeline.save_pretrained(path, safe_serialization=True)
    return path


def unet_parameter_count(architecture: Architecture) -> int:
    """Parameters of the UNet of `architecture`, counted without allocating its weights."""
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel

    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(CONFIGS[architecture].unet)
    return sum(parameter.numel() for parameter in unet.parameters())
