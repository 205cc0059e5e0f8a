"""The Recraft catalog as data: models, styles x substyles, sizes, text characters, prices."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

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
# V4 models take the base styles, without substyles (their look comes from the prompt and
# custom styles).
for _models in STYLES.values():
    _models["recraftv4"] = ()

# The style used when a request names neither style nor style_id: `any` where the model has it;
# for vector output, vector_illustration.
DEFAULT_STYLE = {"recraftv3": "any", "recraftv2": "realistic_image", "recraftv4": "any"}
DEFAULT_VECTOR_STYLE = "vector_illustration"

# Base styles a custom style (POST /v1/styles) can be built on.
CUSTOM_STYLE_BASES = ("realistic_image", "digital_illustration", "vector_illustration", "icon")

Size = tuple[int, int]

# Aspect ratio -> size of each size class (Recraft's appendix, "List of supported image sizes").
ASPECTS = ("1:1", "2:1", "1:2", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "6:10", "14:10", "10:14",
           "16:9", "9:16")  # fmt: skip
SIZE_CLASSES: dict[str, tuple[Size, ...]] = {
    # Recraft V2 and V3, and the first spec's list (which also holds 1707x1024 and 1024x1707).
    "v3": ((1024, 1024), (2048, 1024), (1024, 2048), (1536, 1024), (1024, 1536), (1365, 1024),
           (1024, 1365), (1280, 1024), (1024, 1280), (1707, 1024), (1024, 1707), (1434, 1024),
           (1024, 1434), (1820, 1024), (1024, 1820)),
    # Recraft V4 and V4.1 (1K).
    "v4": ((1024, 1024), (1536, 768), (768, 1536), (1280, 832), (832, 1280), (1216, 896),
           (896, 1216), (1152, 896), (896, 1152), (832, 1344), (1280, 896), (896, 1280),
           (1344, 768), (768, 1344)),
    # Recraft V4 and V4.1 Pro (2K).
    "v4_pro": ((2048, 2048), (3072, 1536), (1536, 3072), (2560, 1664), (1664, 2560),
               (2432, 1792), (1792, 2432), (2304, 1792), (1792, 2304), (1664, 2688),
               (2560, 1792), (1792, 2560), (2688, 1536), (1536, 2688)),
}  # fmt: skip
# The first spec's sizes, in its order (a class above maps aspect ratios; this is what V2/V3 take).
SIZES: tuple[Size, ...] = (
    (1024, 1024), (1365, 1024), (1024, 1365), (1536, 1024), (1024, 1536), (1820, 1024),
    (1024, 1820), (1024, 2048), (2048, 1024), (1434, 1024), (1024, 1434), (1024, 1280),
    (1280, 1024), (1024, 1707), (1707, 1024),
)  # fmt: skip


def aspect_sizes(size_class: str) -> dict[str, Size]:
    """``"16:9"`` -> the size of that aspect ratio in ``size_class``."""
    return {aspect: _size_of_aspect(aspect, size_class) for aspect in ASPECTS}


def _size_of_aspect(aspect: str, size_class: str) -> Size:
    # The appendix pairs each aspect with the size of the class closest to it in ratio.
    w, h = (int(x) for x in aspect.split(":"))
    return min(SIZE_CLASSES[size_class], key=lambda s: abs(math.log(s[0] / s[1] * h / w)))


@dataclass(frozen=True)
class Model:
    """A model id of Recraft's TransformModel enum that atelier serves.

    ``output`` is what the id forces ("raster"/"vector"), or "any" when the style decides (V2
    and V3 base ids). ``styles`` names the model column of STYLES its styles come from;
    ``price_family`` the middle of its price keys (raster_generation_<family>).
    ``weights`` are the ids the diffusers engine's model map is searched under, in order.
    """

    id: str
    name: str
    output: Literal["any", "raster", "vector"]
    styles: str
    size_class: str
    price_family: str
    max_prompt_bytes: int
    text_layout: bool
    weights: tuple[str, ...]
    requires_style: bool = False
    deprecated: bool = False
    family: str = ""  # the family's base id (recraftv4_1 for recraftv4_1_vector)

    def variant(self, output: str) -> Model | None:
        """The id of this model's family that gives ``output`` ("raster"/"vector")."""
        return MODELS.get(f"{self.family}_{output}")

    @property
    def sizes(self) -> tuple[Size, ...]:
        if self.size_class == "v3":
            return SIZES
        if self.size_class == "v4":  # V4 1K models also take the V3 sizes, as V4.1 documents
            return SIZE_CLASSES["v4"] + tuple(s for s in SIZES if s not in SIZE_CLASSES["v4"])
        return SIZE_CLASSES[self.size_class]

    @property
    def default_size(self) -> Size:
        return self.sizes[0]


def _family(
    base: str,
    name: str,
    styles: str,
    size_class: str,
    price_family: str,
    *,
    prompt: int = 10000,
    text_layout: bool = True,
    requires_style: bool = False,
    any_output: bool = False,
    aliases: tuple[str, ...] = (),
    deprecated: bool = False,
) -> list[Model]:
    """A family's ids: the base id, its _raster and _vector variants, and aliases of the base."""
    base_model = Model(
        base,
        name,
        "any" if any_output else "raster",
        styles,
        size_class,
        price_family,
        prompt,
        text_layout,
        weights=(base,),
        requires_style=requires_style,
        family=base,
    )
    return [
        base_model,
        replace(base_model, id=f"{base}_raster", name=f"{name} (raster)", output="raster",
                weights=(f"{base}_raster", base)),
        replace(base_model, id=f"{base}_vector", name=f"{name} Vector", output="vector",
                weights=(f"{base}_vector", base)),
        *(replace(base_model, id=alias, name=f"{name} (as {alias})", weights=(alias, base),
                  deprecated=deprecated) for alias in aliases),
    ]  # fmt: skip


MODEL_LIST: tuple[Model, ...] = (
    *_family("recraftv2", "Recraft V2", "recraftv2", "v3", "v2", prompt=1000, text_layout=False,
             any_output=True, aliases=("recraft20b",)),
    *_family("recraftv3", "Recraft V3", "recraftv3", "v3", "v3", prompt=1000, any_output=True,
             aliases=("refm1",), deprecated=True),
    *_family("recraftv4", "Recraft V4", "recraftv4", "v4", "v4"),
    *_family("recraftv4_pro", "Recraft V4 Pro", "recraftv4", "v4_pro", "v4_pro"),
    *_family("recraftv4_1", "Recraft V4.1", "recraftv4", "v4", "v4_1"),
    *_family("recraftv4_1_pro", "Recraft V4.1 Pro", "recraftv4", "v4_pro", "v4_1_pro"),
    *_family("recraftv4_1_utility", "Recraft V4.1 Utility", "recraftv4", "v4", "v4_1_utility"),
    *_family("recraftv4_1_utility_pro", "Recraft V4.1 Utility Pro", "recraftv4", "v4_pro",
             "v4_1_utility_pro"),
    *_family("recraftv4_explore", "Recraft V4 Explore", "recraftv4", "v4", "v4_explore"),
    *_family("recraftv4_styles", "Recraft V4 Styles", "recraftv4", "v4", "v4_styles",
             requires_style=True),
    *_family("recraftv4_styles_pro", "Recraft V4 Styles Pro", "recraftv4", "v4_pro",
             "v4_styles_pro", requires_style=True),
)  # fmt: skip
MODELS: dict[str, Model] = {m.id: m for m in MODEL_LIST}
# refm1 is deprecated in Recraft's enum; recraft20b is Recraft V2's other name.
DEFAULT_MODEL = "recraftv3"  # the first spec's default; Recraft's current docs default to V4.1
DEFAULT_STYLE_REFERENCE_MODEL = "recraftv4_styles"
EXPLORE_MODEL = "recraftv4_explore"
EXPLORE_IMAGES = 4  # Recraft's explore answers a set of images; its request has no n

# The other ids of Recraft's TransformModel enum: models of other vendors that Recraft resells
# (and its upscaler ids). atelier serves them only where the operator maps them to local weights.
_THIRD_PARTY_IDS = """
    flux1_kontext_pro flux1_kontext_max flux1_1pro flux1dev imagen3 imagen4 imagen4_ultra
    hidream_i1_dev gpt_image_1_low gpt_image_1_medium gpt_image_1_high gpt_image_1p5_low
    gpt_image_1p5_medium gpt_image_1p5_high gpt_image_2_low gpt_image_2_medium
    gpt_image_2_high ideogram_v3_turbo ideogram_v3_default ideogram_v3_quality
    ideogram_v4_turbo ideogram_v4_balanced ideogram_v4_quality qwen_image qwen_image_2
    gemini_25_flash_image bytedance-seedreamv4 bytedance_seedreamv4p5 nano_banana_pro
    nano_banana_pro_4k nano_banana_2 nano_banana_2_with_4k nano_banana_2_lite flux2_dev
    flux2_pro flux2_flex flux2_max z_image_turbo bytedance_seedreamv5_lite
    bytedance_seedreamv5_pro qwen_image_2_pro qwen_image_3 qwen_image_3_2k flux1_schnell
    grok_imagine_image grok_imagine_image_2 imagineart_2 krea_2_large krea_2_medium
    krea_2_turbo cosmos_3_super reve_2_1 veo3p1 veo3p1_fast veo3p1_lite veo3 veo3_fast veo2
    gemini_omni_flash sora2_pro sora2 ray2 ray2_flash kling2p6_pro kling2p5_turbo
    kling2p1_master hailuo02_pro hailuo02_standard hailuo2p3_pro hailuo2p3_standard
    minimaxh3 wan2p7 wan2p6 wan2p5_preview wan2p2_a14b bytedance_seedance1p5
    bytedance_seedance2 bytedance_seedance2_fast bytedance_seedance2p5 pixverse_v5p5
    pixverse_v5p6 pixverse_v6 grok_imagine_video grok_imagine_video_1p5 kling3_pro
    kling3_standard kling3_omni_pro kling3_omni_standard kling3_turbo happy_horse_1
    happy_horse_1p1 flux3_video recraft_super_resolution recraft_generative_upscale topaz
"""
THIRD_PARTY_MODELS = frozenset(_THIRD_PARTY_IDS.split())


def _operator_model(model_id: str) -> Model:
    """A third-party id the operator mapped to local weights: served and priced like Recraft V4
    (raster)."""
    return Model(model_id, model_id, "raster", "recraftv4", "v4", "v4", 10000, False, (model_id,))


# The other vendors' ids as models, for a deployment whose engine maps them to local weights.
OPERATOR_MODELS: dict[str, Model] = {
    model_id: _operator_model(model_id) for model_id in sorted(THIRD_PARTY_MODELS)
}


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

# When each family came out (Unix time), as GET /v1/models reports it.
RELEASED = {
    "v2": 1_708_387_200,  # 2024-02-20
    "v3": 1_730_246_400,  # 2024-10-30
    "v4": 1_770_249_600,  # 2026-02-05
    "v4_pro": 1_770_249_600,
    "v4_explore": 1_770_249_600,
    "v4_styles": 1_787_788_800,  # 2026-08-27
    "v4_styles_pro": 1_787_788_800,
    "v4_1": 1_778_198_400,  # 2026-05-08
    "v4_1_pro": 1_778_198_400,
    "v4_1_utility": 1_778_198_400,
    "v4_1_utility_pro": 1_778_198_400,
}

# What GET /v1/models lists besides MODELS: the AI/ML API's name for recraftv3.
DIALECT_MODELS = {AIML_MODEL: "Recraft V3, as the AI/ML API names it"}

# Characters a text_layout word may contain. Letters are checked case-insensitively: the spec's
# own example ("Recraft") uses lower case although its list holds capitals only.
TEXT_LAYOUT_CHARACTERS = frozenset(
    "!\"#$%&'()*+,-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_{}"
    "ØĐĦŁŊŦΑΒΕΖΗΙΚΜΝΟΡΤΥΧІАВЕКМНОРСТУХßẞ"
)

MAX_PROMPT_BYTES = 1000  # Recraft V2 and V3; V4 models take 10,000 (Model.max_prompt_bytes)
MAX_STYLE_IMAGES = 10
MAX_IMAGE_URL_CHARS = 8 * 1024 * 1024  # a data: URL of a 5 MB image, base64, with room
MAX_N = 6
MAX_TEXT_LAYOUT_ITEMS = 64


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
        # Recraft's current price list (recraft.ai/docs/api-reference/pricing).
        Service("raster_generation_v4", "Raster image generation - Recraft V4", 40),
        Service("vector_generation_v4", "Vector image generation - Recraft V4", 80),
        Service("raster_generation_v4_pro", "Raster image generation - Recraft V4 Pro", 250),
        Service("vector_generation_v4_pro", "Vector image generation - Recraft V4 Pro", 300),
        Service("raster_generation_v4_1", "Raster image generation - Recraft V4.1", 35),
        Service("vector_generation_v4_1", "Vector image generation - Recraft V4.1", 80),
        Service("raster_generation_v4_1_pro", "Raster image generation - Recraft V4.1 Pro", 210),
        Service("raster_generation_v4_1_utility", "Raster - Recraft V4.1 Utility", 35),
        Service("vector_generation_v4_1_utility", "Vector - Recraft V4.1 Utility", 80),
        Service("raster_generation_v4_1_utility_pro", "Raster - Recraft V4.1 Utility Pro", 210),
        # Not in the published list: priced like the nearest published model (README).
        Service("vector_generation_v4_1_pro", "Vector - Recraft V4.1 Pro (as V4 Pro)", 300),
        Service("vector_generation_v4_1_utility_pro", "Vector - V4.1 Utility Pro (as V4 Pro)", 300),
        Service("raster_generation_v4_explore", "Raster - Recraft V4 Explore (as V4)", 40),
        Service("vector_generation_v4_explore", "Vector - Recraft V4 Explore (as V4)", 80),
        Service("raster_generation_v4_styles", "Raster - Recraft V4 Styles (as V4)", 40),
        Service("vector_generation_v4_styles", "Vector - Recraft V4 Styles (as V4)", 80),
        Service("raster_generation_v4_styles_pro", "Raster - V4 Styles Pro (as V4 Pro)", 250),
        Service("vector_generation_v4_styles_pro", "Vector - V4 Styles Pro (as V4 Pro)", 300),
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
        Service("raster_outpainting", "Raster outpainting, as inpainting (per image)", 40),
        Service("vector_outpainting", "Vector outpainting, as inpainting (per image)", 80),
        # The deprecated upscalers run the creative upscaler.
        Service("clarity_upscale", "Clarity upscale (deprecated; as creative upscale)", 250),
        Service("generative_upscale", "Generative upscale (deprecated; as creative)", 250),
        Service("prompt_enhancement", "Prompt enhancement (per request)", 1),
        Service("color_optimization", "Palette optimisation (per request)", 0),
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


def generation_price_key(model: Model, vector: bool) -> str:
    return f"{'vector' if vector else 'raster'}_generation_{model.price_family}"


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


def model_size(value: str, model: Model, extra: tuple[Size, ...] = ()) -> Size | None:
    """``"1365x1024"`` (one of the model's sizes, or ``extra``) or ``"16:9"`` (an aspect ratio,
    in the model's size class) as a size; None when the model does not take it."""
    if ":" in value:
        return aspect_sizes(model.size_class).get(value.strip())
    return parse_size(value, (*model.sizes, *extra))


def nearest_size(width: int, height: int) -> tuple[int, int]:
    """The supported size closest in aspect ratio, then in area, to width x height."""

    def distance(size: tuple[int, int]) -> tuple[float, float]:
        aspect = abs(math.log((size[0] / size[1]) / (width / height)))
        area = abs(math.log((size[0] * size[1]) / (width * height)))
        return (round(aspect, 3), area)

    return min(SIZES, key=distance)
