"""Writes a Stable Diffusion 1.x pipeline as one original-layout (LDM) .safetensors checkpoint,
the kind users download as a single file, so that tests can load one without a download.

It inverts the key renames of diffusers' `single_file_utils.convert_ldm_*_checkpoint`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import torch
from diffusers.loaders.single_file_utils import DIFFUSERS_TO_LDM_MAPPING
from safetensors.torch import save_file

RESNET_NAMES = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "time_emb_proj": "emb_layers.1",
    "conv_shortcut": "skip_connection",
}
VAE_ATTENTION_NAMES = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}


def _resnet(rest: str, names: dict[str, str]) -> str:
    layer, _, param = rest.rpartition(".")
    return f"{names.get(layer, layer)}.{param}"


def unet_key(key: str, unet_config: dict[str, Any]) -> str:
    per_block = unet_config["layers_per_block"] + 1  # the resnets, then the down/upsampler
    up_attentions = {i for i, t in enumerate(unet_config["up_block_types"]) if "CrossAttn" in t}
    if key in DIFFUSERS_TO_LDM_MAPPING["unet"]["layers"]:
        return str(DIFFUSERS_TO_LDM_MAPPING["unet"]["layers"][key])
    if m := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        block, part, layer, rest = int(m[1]), m[2], int(m[3]), m[4]
        index = 1 + block * per_block + layer
        if part == "resnets":
            return f"input_blocks.{index}.0.{_resnet(rest, RESNET_NAMES)}"
        return f"input_blocks.{index}.1.{rest}"
    if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"input_blocks.{1 + int(m[1]) * per_block + per_block - 1}.0.op.{m[2]}"
    if m := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(.+)", key):
        return f"middle_block.{2 * int(m[1])}.{_resnet(m[2], RESNET_NAMES)}"
    if m := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", key):
        return f"middle_block.1.{m[1]}"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        block, part, layer, rest = int(m[1]), m[2], int(m[3]), m[4]
        index = block * per_block + layer
        if part == "resnets":
            return f"output_blocks.{index}.0.{_resnet(rest, RESNET_NAMES)}"
        return f"output_blocks.{index}.1.{rest}"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        block = int(m[1])
        slot = 2 if block in up_attentions else 1
        return f"output_blocks.{block * per_block + per_block - 1}.{slot}.conv.{m[2]}"
    raise KeyError(f"no original name for UNet key {key}")


def vae_key(key: str, vae_config: dict[str, Any]) -> str:
    blocks = len(vae_config["up_block_types"])
    shortcut = {"conv_shortcut": "nin_shortcut"}
    if key in DIFFUSERS_TO_LDM_MAPPING["vae"]:
        return str(DIFFUSERS_TO_LDM_MAPPING["vae"][key])
    if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        return f"encoder.down.{m[1]}.block.{m[2]}.{_resnet(m[3], shortcut)}"
    if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"encoder.down.{m[1]}.downsample.conv.{m[2]}"
    if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        return f"decoder.up.{blocks - 1 - int(m[1])}.block.{m[2]}.{_resnet(m[3], shortcut)}"
    if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        return f"decoder.up.{blocks - 1 - int(m[1])}.upsample.conv.{m[2]}"
    if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
        return f"{m[1]}.mid.block_{int(m[2]) + 1}.{_resnet(m[3], shortcut)}"
    if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)", key):
        return f"{m[1]}.mid.attn_1.{_resnet(m[2], VAE_ATTENTION_NAMES)}"
    raise KeyError(f"no original name for VAE key {key}")


def write_original_checkpoint(pipeline: Any, path: Path) -> Path:
    """Save `pipeline` (a StableDiffusionPipeline) as one original-layout checkpoint."""
    tensors: dict[str, torch.Tensor] = {}
    for key, value in pipeline.unet.state_dict().items():
        tensors["model.diffusion_model." + unet_key(key, pipeline.unet.config)] = value
    for key, value in pipeline.vae.state_dict().items():
        name = vae_key(key, pipeline.vae.config)
        if ".mid.attn_1." in name and name.endswith("weight") and value.ndim == 2:
            value = value.reshape(*value.shape, 1, 1)  # the original attention is 1x1 convs
        tensors["first_stage_model." + name] = value
    for key, value in pipeline.text_encoder.state_dict().items():
        # Newer transformers flatten CLIPTextModel; the original keeps its `text_model.` level.
        key = key if key.startswith("text_model.") else "text_model." + key
        tensors["cond_stage_model.transformer." + key] = value
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def single_file_model(folder: Path, destination: Path) -> Path:
    """The diffusers pipeline saved in `folder` as a single checkpoint in `destination`, beside
    the configs a model's repository has (model_index.json, tokenizer, scheduler), no weights."""
    import diffusers

    shutil.copytree(folder, destination, ignore=shutil.ignore_patterns("*.safetensors"))
    pipeline = diffusers.StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True)
    return write_original_checkpoint(pipeline, destination / f"{destination.name}.safetensors")
