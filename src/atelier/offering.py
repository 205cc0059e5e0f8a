"""What this deployment offers, as data a client builds its controls from (GET /v1/catalog).

The studio fills its model, style, substyle and size menus and shows prices from this, so the
tables live in one place (catalog.py, with the operator's price overrides) and not in JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from atelier import catalog
from atelier.prices import Prices

# The tools' endpoints and their price keys (per call; variateImage per image).
TOOL_PRICE_KEYS = {
    "vectorize": "vectorization",
    "removeBackground": "background_removal",
    "crispUpscale": "crisp_upscale",
    "creativeUpscale": "creative_upscale",
    "eraseRegion": "erase_region",
    "variateImage": "variation",
}
# The reference images a style is made from, as the studio offers it (Recraft's Studio: 1-5).
STUDIO_STYLE_IMAGES = 5


def describe(
    models: Iterable[catalog.Model], prices: Prices, max_upload_bytes: int
) -> dict[str, Any]:
    """The catalog of ``models`` (those the engine serves) at ``prices``."""
    return {
        "models": [_model(model, prices) for model in models],
        "vector_styles": sorted(catalog.VECTOR_STYLES),
        "custom_style_bases": list(catalog.CUSTOM_STYLE_BASES),
        "edits": {
            name: {kind: prices[f"{kind}_{edit.price_key}"] for kind in ("raster", "vector")}
            for name, edit in catalog.EDITS.items()
        },
        "tools": {endpoint: prices[key] for endpoint, key in TOOL_PRICE_KEYS.items()},
        "style_creation": prices["style_creation"],
        # The upscale option is one crisp upscale per image (Prices.finishing).
        "upscale": {option: prices["crisp_upscale"] for option in ("upscale4mp", "upscale16mp")},
        "limits": {
            "max_n": catalog.MAX_N,
            "max_text_layout_items": catalog.MAX_TEXT_LAYOUT_ITEMS,
            "max_style_images": STUDIO_STYLE_IMAGES,
            "max_upload_bytes": max_upload_bytes,
        },
    }


def _model(model: catalog.Model, prices: Prices) -> dict[str, Any]:
    outputs = {"any": ("raster", "vector"), "raster": ("raster",), "vector": ("vector",)}
    kinds = outputs[model.output]
    return {
        "id": model.id,
        "name": model.name,
        "output": model.output,
        "default": model.id == catalog.DEFAULT_MODEL,
        "max_prompt_bytes": model.max_prompt_bytes,
        "text_layout": model.text_layout,
        "requires_style": model.requires_style,
        "deprecated": model.deprecated,
        "sizes": [f"{w}x{h}" for w, h in model.sizes],
        "default_size": "{}x{}".format(*model.default_size),
        "styles": _styles(model),
        "default_style": (
            catalog.DEFAULT_VECTOR_STYLE
            if model.output == "vector"
            else catalog.DEFAULT_STYLE[model.styles]
        ),
        "price": {kind: prices.generation(model, kind == "vector") for kind in kinds},
    }


def _styles(model: catalog.Model) -> dict[str, list[str]]:
    """Style -> its substyles, for the styles ``model`` takes with the output it gives."""
    styles: dict[str, list[str]] = {}
    if model.output == "vector":
        styles["any"] = []  # with a vector model, "any" is its default vector style
    for style in catalog.STYLES:
        substyles = catalog.substyles(style, model.styles)
        vector = style in catalog.VECTOR_STYLES
        if substyles is None or (model.output != "any" and vector != (model.output == "vector")):
            continue
        styles[style] = list(substyles)
    return styles
