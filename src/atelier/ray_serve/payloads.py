"""What crosses between an API process and an engine replica: plain dicts, numbers, strings and
numpy arrays (which Ray hands over through its object store without pickling them), never
pickled PIL images or atelier classes, so the two sides may run different versions."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PIL import Image

from atelier.engines.base import (
    Artifact,
    EditSpec,
    GenerationSpec,
    RasterImage,
    TextItem,
    VectorImage,
)

Payload = dict[str, Any]


def image_payload(image: Image.Image) -> Payload:
    # One copy, into an array; Ray puts the array in its object store as it is. The file
    # format it was decoded from goes along: tools treat JPEG inputs apart (crisp deblocks).
    return {"mode": image.mode, "pixels": np.asarray(image), "format": image.format}


def image_from(payload: Payload) -> Image.Image:
    image = Image.fromarray(np.asarray(payload["pixels"]), mode=payload["mode"])
    image.format = payload.get("format")
    return image


def spec_payload(spec: GenerationSpec) -> Payload:
    return dataclasses.asdict(spec)


def spec_from(payload: Payload) -> GenerationSpec:
    values = dict(payload)
    values["colors"] = tuple(tuple(c) for c in values["colors"])
    values["style_palette"] = tuple(tuple(c) for c in values["style_palette"])
    if values["background_color"] is not None:
        values["background_color"] = tuple(values["background_color"])
    values["text_layout"] = tuple(
        TextItem(item["text"], tuple(tuple(point) for point in item["bbox"]))  # type: ignore[arg-type]
        for item in values["text_layout"]
    )
    return GenerationSpec(**values)


def edit_payload(spec: EditSpec) -> Payload:
    return {
        "operation": spec.operation,
        "base": spec_payload(spec.base),
        "image": image_payload(spec.image),
        "mask": image_payload(spec.mask) if spec.mask is not None else None,
        "strength": spec.strength,
    }


def edit_from(payload: Payload) -> EditSpec:
    mask = payload["mask"]
    return EditSpec(
        operation=payload["operation"],
        base=spec_from(payload["base"]),
        image=image_from(payload["image"]),
        mask=image_from(mask) if mask is not None else None,
        strength=payload["strength"],
    )


def artifact_payload(artifact: Artifact) -> Payload:
    if isinstance(artifact, VectorImage):
        return {"svg": artifact.svg, "width": artifact.width, "height": artifact.height}
    return {"image": image_payload(artifact.image)}


def artifact_from(payload: Payload) -> Artifact:
    if "svg" in payload:
        return VectorImage(payload["svg"], payload["width"], payload["height"])
    return RasterImage(image_from(payload["image"]))
