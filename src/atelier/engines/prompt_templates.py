"""Styles and substyles as prompt words for text-conditioned models (data, not code): the
diffusers engine builds its prompts from them, and the prompt enhancer reads them."""

from __future__ import annotations

from atelier.engines.base import GenerationSpec
from atelier.imaging.colors import to_hex

# {prompt} is the user's prompt; {substyle} the substyle's words (or nothing).
STYLE_TEMPLATES: dict[str, str] = {
    "any": "{prompt}, {substyle}high quality, detailed",
    "realistic_image": "a photograph of {prompt}, {substyle}realistic, natural detail, 35mm",
    "digital_illustration": "a digital illustration of {prompt}, {substyle}artstation, vivid",
    "vector_illustration": (
        "a flat vector illustration of {prompt}, {substyle}flat colors, clean shapes, "
        "simple background, no gradients, no texture"
    ),
    "icon": "a simple flat icon of {prompt}, {substyle}centered, plain background, minimal",
    "logo_raster": "a logo emblem of {prompt}, {substyle}centered, bold, graphic design",
}
NEGATIVE_DEFAULTS: dict[str, str] = {
    "vector_illustration": "photo, noise, texture, gradient, blurry",
    "icon": "photo, noise, texture, clutter, text",
}
# Substyles whose names do not read well as prompt words.
SUBSTYLE_WORDS: dict[str, str] = {
    "b_and_w": "black and white",
    "hdr": "HDR",
    "2d_art_poster": "2D art poster",
    "2d_art_poster_2": "2D art poster",
    "3d": "3D render",
    "80s": "1980s style",
    "grain_20": "film grain",
}
ARTISTIC_LEVELS = (
    "simple static composition, clean, straight-on",
    "calm composition",
    "",
    "expressive composition",
    "dynamic composition, movement, bold angles",
    "eccentric, highly creative, dramatic composition",
)


def build_prompts(spec: GenerationSpec) -> tuple[str, str]:
    """The (prompt, negative prompt) a diffusion model gets for ``spec``."""
    substyle = ""
    if spec.substyle:
        substyle = SUBSTYLE_WORDS.get(spec.substyle, spec.substyle.replace("_", " ")) + ", "
    template = STYLE_TEMPLATES.get(spec.style, STYLE_TEMPLATES["any"])
    parts = [template.format(prompt=spec.prompt, substyle=substyle)]
    if spec.artistic_level is not None and ARTISTIC_LEVELS[spec.artistic_level]:
        parts.append(ARTISTIC_LEVELS[spec.artistic_level])
    if spec.palette:
        parts.append("color palette " + " ".join(to_hex(c) for c in spec.palette))
    if spec.background_color:
        parts.append(f"{to_hex(spec.background_color)} background")
    negative = ", ".join(p for p in (spec.negative_prompt, NEGATIVE_DEFAULTS.get(spec.style)) if p)
    return ", ".join(parts), negative
