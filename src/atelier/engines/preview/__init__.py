"""The preview engine: deterministic procedural images for every style, without model weights.

Everything random is drawn from generators seeded with a blake2b hash of the request fields
that define an image (never Python's per-process salted ``hash``), so a request always gives
byte-identical images. The palette depends on the prompt alone; the composition also on the
seed, so seeds of one prompt are variations on a theme.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
from PIL import Image

from atelier.engines.base import (
    Artifact,
    GenerationEngine,
    GenerationSpec,
    RasterImage,
    VectorImage,
)
from atelier.engines.preview.illustration import illustration
from atelier.engines.preview.looks import look_for
from atelier.engines.preview.palette import choose_palette
from atelier.engines.preview.raster import logo, realistic
from atelier.engines.preview.scene import Scene, scene_elements, words
from atelier.engines.preview.svg import icon, vector_illustration
from atelier.imaging.colors import contrasting
from atelier.imaging.text_layout import draw_text_layout, svg_text_layout

# Base style -> scene family. Styles the catalog may add later fall back on spec.vector.
FAMILIES: dict[str, str] = {
    "any": "realistic",
    "realistic_image": "realistic",
    "digital_illustration": "illustration",
    "logo_raster": "logo",
    "vector_illustration": "vector",
    "icon": "icon",
}
RASTER_RENDERERS = {"realistic": realistic, "illustration": illustration, "logo": logo}


def family_of(spec: GenerationSpec) -> str:
    return FAMILIES.get(spec.style, "vector" if spec.vector else "illustration")


def prompt_digest(prompt: str) -> bytes:
    return hashlib.blake2b(
        prompt.encode("utf-8"), digest_size=32, person=b"atelier-prompt"
    ).digest()


def image_rng(spec: GenerationSpec, index: int) -> np.random.Generator:
    """The random generator of image ``index``: every field that shapes the image, plus seed."""
    fields = [
        spec.prompt,
        spec.negative_prompt or "",
        spec.model,
        spec.style,
        spec.substyle or "",
        [spec.width, spec.height],
        spec.artistic_level,
        [list(c) for c in spec.colors],
        list(spec.background_color) if spec.background_color else None,
        [list(c) for c in spec.style_palette],
    ]
    material = hashlib.blake2b(json.dumps(fields).encode("utf-8"), digest_size=32).digest()
    seed = (spec.seed + index) % 2**64
    entropy = [*np.frombuffer(material, dtype=np.uint32).tolist(), seed & 0xFFFFFFFF, seed >> 32]
    return np.random.default_rng(entropy)


def _monogram(spec: GenerationSpec, negative: frozenset[str]) -> str | None:
    if spec.no_text or "text" in negative or "letters" in negative:
        return None
    match = re.search(r"[A-Za-z]", spec.prompt)
    return match.group(0).upper() if match else None


def build_scene(spec: GenerationSpec, index: int = 0) -> Scene:
    family = family_of(spec)
    digest = prompt_digest(spec.prompt)
    negative = words(spec.negative_prompt)
    look = look_for(spec.substyle, negative)
    palette = choose_palette(family, digest, spec.colors, spec.background_color, spec.style_palette)
    level = spec.artistic_level
    complexity = 0.5 if level is None else max(0, min(5, level)) / 5.0
    return Scene(
        width=spec.width,
        height=spec.height,
        rng=image_rng(spec, index),
        palette=palette,
        look=look,
        complexity=complexity,
        elements=scene_elements(words(spec.prompt), negative, look, digest, complexity),
        digest=digest,
        monogram=_monogram(spec, negative),
    )


def render(spec: GenerationSpec, index: int = 0) -> Artifact:
    """Image ``index`` of the request (made with seed ``spec.seed + index``)."""
    family = family_of(spec)
    scene = build_scene(spec, index)
    text = () if spec.no_text else spec.text_layout
    if family in RASTER_RENDERERS:
        image = RASTER_RENDERERS[family](scene).convert("RGB")
        if image.size != (spec.width, spec.height):  # renderers must not drift; be certain
            image = image.resize((spec.width, spec.height), Image.Resampling.BILINEAR)
        draw_text_layout(image, text, scene.palette.colors)
        return RasterImage(image)
    svg = vector_illustration(scene) if family == "vector" else icon(scene, spec.prompt)
    if text:
        bg = scene.palette.background
        ink = contrasting(bg, scene.palette.colors)
        svg = svg.replace(
            "</svg>", svg_text_layout(text, spec.width, spec.height, ink, bg) + "</svg>"
        )
    return VectorImage(svg=svg, width=spec.width, height=spec.height)


class PreviewEngine(GenerationEngine):
    name = "preview"
    renders = frozenset({"palette", "text_layout", "svg"})  # procedurally, in its own way
    description = (
        "Deterministic procedural renderer (no model weights): composed scenes per style, "
        "same request and seed give the same image"
    )

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        return [render(spec, i) for i in range(spec.n)]
