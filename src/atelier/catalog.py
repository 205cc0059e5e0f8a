"""The Recraft catalog as data: models, styles x substyles, sizes, text characters, prices."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

MODELS: dict[str, str] = {
    "recraftv3": "Recraft V3 (aka Red Panda)",
    "recraftv2": "Recraft V2 (aka Recraft 20B)",
}
DEFAULT_MODEL = "recraftv3"

# Styles whose images are SVG; every other style is raster.
VECTOR_STYLES = frozenset({"vector_illustration", "icon"})

# style -> model -> substyles. A model missing from a style's entry means the style is not
# available with that model; an empty tuple means the style exists but takes no substyle.
STYLES: dict[str, dict[str, tuple[str, ...]]] = {
    "any": {"recraftv3": ()},
    "realistic_image": {
        "recraftv3": (
            "b_and_w", "enterprise", "evening_light", "faded_nostalgia", "forest_life",
            "hard_flash", "hdr", "motion_blur", "mystic_naturalism", "natural_light",
            "natural_tones", "organic_calm", "real_life_glow", "retro_realism",
            "retro_snapshot", "studio_portrait", "urban_drama", "village_realism", "warm_folk",
        ),
        "recraftv2": (
            "b_and_w", "enterprise", "hard_flash", "hdr", "motion_blur", "natural_light",
            "studio_portrait",
        ),
    },
    "digital_illustration": {
        "recraftv3": (
            "2d_art_poster", "2d_art_poster_2", "antiquarian", "bold_fantasy", "child_book",
            "cover", "crosshatch", "digital_engraving", "engraving_color", "expressionism",
            "freehand_details", "grain", "grain_20", "graphic_intensity", "hand_drawn",
            "hand_drawn_outline", "handmade_3d", "hard_comics", "infantile_sketch",
            "long_shadow", "modern_folk", "multicolor", "neon_calm", "noir", "nostalgic_pastel",
            "outline_details", "pastel_gradient", "pastel_sketch", "pixel_art", "plastic",
            "pop_art", "pop_renaissance", "seamless", "street_art", "tablet_sketch",
            "urban_glow", "urban_sketching", "young_adult_book", "young_adult_book_2",
        ),
        "recraftv2": (
            "2d_art_poster", "2d_art_poster_2", "3d", "80s", "engraving_color", "glow", "grain",
            "hand_drawn", "hand_drawn_outline", "handmade_3d", "infantile_sketch", "kawaii",
            "pixel_art", "plastic", "psychedelic", "seamless", "voxel", "watercolor",
        ),
    },
    "vector_illustration": {
        "recraftv3": (
            "bold_stroke", "chemistry", "colored_stencil", "cosmics", "cutout", "depressive",
            "editorial", "emotional_flat", "engraving", "line_art", "line_circuit", "linocut",
            "marker_outline", "mosaic", "naivector", "roundish_flat", "seamless",
            "segmented_colors", "sharp_contrast", "thin", "vector_photo", "vivid_shapes",
        ),
        "recraftv2": (
            "cartoon", "doodle_line_art", "engraving", "flat_2", "kawaii", "line_art",
            "line_circuit", "linocut", "seamless",
        ),
    },
    "icon": {
        "recraftv2": (
            "broken_line", "colored_outline", "colored_shapes", "colored_shapes_gradient",
            "doodle_fill", "doodle_offset_fill", "offset_fill", "outline", "outline_gradient",
            "pictogram",
        ),
    },
    "logo_raster": {
        "recraftv3": (
            "emblem_graffiti", "emblem_pop_art", "emblem_punk", "emblem_stamp", "emblem_vintage",
        ),
    },
}  # fmt: skip

# The style used when a request names neither style nor style_id: `any` where the model has it.
DEFAULT_STYLE = {"recraftv3": "any", "recraftv2": "realistic_image"}

# Base styles a custom style (POST /v1/styles) can be built on.
CUSTOM_STYLE_BASES = ("realistic_image", "digital_illustration", "vector_illustration", "icon")

SIZES: tuple[tuple[int, int], ...] = (
    (1024, 1024), (1365, 1024), (1024, 1365), (1536, 1024), (1024, 1536), (1820, 1024),
    (1024, 1820), (1024, 2048), (2048, 1024), (1434, 1024), (1024, 1434), (1024, 1280),
    (1280, 1024), (1024, 1707), (1707, 1024),
)  # fmt: skip
DEFAULT_SIZE = (1024, 1024)

# Sizes the DALL-E-format re-seller lists besides Recraft's own.
DALLE_EXTRA_SIZES: tuple[tuple[int, int], ...] = (
    (1024, 512), (1024, 576), (1024, 768), (512, 1024), (512, 768), (1280, 960),
    (960, 1280), (768, 1366), (768, 512), (1366, 768), (1344, 576),
)  # fmt: skip

# The AI/ML API's model id of Recraft V3, and its image_size presets in Recraft sizes.
AIML_MODEL = "recraft-v3"
AIML_SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (1024, 1024),
    "portrait_4_3": (1024, 1365),
    "portrait_16_9": (1024, 1820),
    "landscape_4_3": (1365, 1024),
    "landscape_16_9": (1820, 1024),
}

# What GET /v1/models lists: Recraft's models and the AI/ML API's name for recraftv3.
LISTED_MODELS = {**MODELS, AIML_MODEL: "Recraft V3, as the AI/ML API names it"}

# Characters a text_layout word may contain. Letters are checked case-insensitively: the spec's
# own example ("Recraft") uses lower case although its list holds capitals only.
TEXT_LAYOUT_CHARACTERS = frozenset(
    "!\"#$%&'()*+,-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_{}"
    "ØĐĦŁŊŦΑΒΕΖΗΙΚΜΝΟΡΤΥΧІАВЕКМНОРСТУХßẞ"
)

MAX_PROMPT_BYTES = 1000
MAX_N = 6
MAX_TEXT_LAYOUT_ITEMS = 64
IMAGE_FORMATS = ("png", "webp")


@dataclass(frozen=True)
class Service:
    """A priced operation of the price table."""

    key: str
    description: str
    units: int


# The spec's price table (API units per image, or per call for tools). Operators may override
# any entry with ATELIER_PRICES='{"raster_generation_v3": 30}'.
PRICES: dict[str, Service] = {
    s.key: s
    for s in (
        Service("raster_generation_v3", "Raster image generation - Recraft V3", 40),
        Service("raster_generation_v2", "Raster image generation - Recraft V2", 22),
        Service("vector_generation_v3", "Vector image generation - Recraft V3", 80),
        Service("vector_generation_v2", "Vector image generation - Recraft V2", 44),
        Service("raster_image_to_image", "Raster image to image (per single image)", 40),
        Service("vector_image_to_image", "Vector image to image (per single image)", 80),
        Service("raster_inpainting", "Raster image inpainting (per single image)", 40),
        Service("vector_inpainting", "Vector image inpainting (per single image)", 80),
        Service("raster_replace_background", "Replace raster background (per single image)", 40),
        Service("vector_replace_background", "Replace vector background (per single image)", 80),
        Service("raster_generate_background", "Generate raster background (per single image)", 40),
        Service("vector_generate_background", "Generate vector background (per single image)", 80),
        Service("style_creation", "Image style creation", 40),
        Service("vectorization", "Image vectorization", 10),
        Service("background_removal", "Image background removal", 10),
        Service("crisp_upscale", "Crisp upscale", 4),
        Service("creative_upscale", "Creative upscale", 250),
        Service("erase_region", "Erase region", 2),
        # Not in Recraft's table; priced like the raster image-to-image it resembles.
        Service("variation", "Image variation (per single image)", 40),
    )
}


@dataclass(frozen=True)
class ImageLimits:
    """What an uploaded image may be. MP are millions of pixels."""

    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 16_000_000
    max_side: int = 4096
    min_side: int = 256


# The spec's limits on input images: most endpoints, and crispUpscale / eraseRegion.
IMAGE_LIMITS = ImageLimits()
SMALL_IMAGE_LIMITS = ImageLimits(max_pixels=4_000_000, min_side=32)

# creativeUpscale enlarges x4; like Recraft's (whose outputs are ~16 MP) we cap the output,
# reducing a larger input first, which also bounds its (CPU-minutes) cost.
CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class Edit:
    """A generative edit endpoint: what the engine does, its price key without raster_/vector_,
    and where its mask comes from (uploaded by the client, made by matting, or none)."""

    operation: Literal["image_to_image", "inpaint"]
    price_key: str
    mask: Literal["upload", "matting"] | None = None

    def price_key_for(self, vector: bool) -> str:
        return f"{'vector' if vector else 'raster'}_{self.price_key}"


EDITS: dict[str, Edit] = {
    "imageToImage": Edit("image_to_image", "image_to_image"),
    "inpaint": Edit("inpaint", "inpainting", mask="upload"),
    "replaceBackground": Edit("inpaint", "replace_background", mask="matting"),
    "generateBackground": Edit("inpaint", "generate_background", mask="upload"),
}


def generation_price_key(model: str, vector: bool) -> str:
    return f"{'vector' if vector else 'raster'}_generation_{'v3' if model == 'recraftv3' else 'v2'}"


def substyles(style: str, model: str) -> tuple[str, ...] | None:
    """The substyles of ``style`` with ``model``, or None when that pair does not exist."""
    return STYLES.get(style, {}).get(model)


def parse_size(
    value: str, supported: tuple[tuple[int, int], ...] = SIZES
) -> tuple[int, int] | None:
    """``"1365x1024"`` -> (1365, 1024) when it is one of ``supported``, else None."""
    width, sep, height = value.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        return None
    size = (int(width), int(height))
    return size if size in supported else None


def nearest_size(width: int, height: int) -> tuple[int, int]:
    """The supported size closest in aspect ratio, then in area, to width x height."""

    def distance(size: tuple[int, int]) -> tuple[float, float]:
        aspect = abs(math.log((size[0] / size[1]) / (width / height)))
        area = abs(math.log((size[0] * size[1]) / (width * height)))
        return (round(aspect, 3), area)

    return min(SIZES, key=distance)
