"""What the domain takes: plain, frozen request types. The HTTP layer's models (api/schemas.py)
convert themselves into these, so the domain never sees a body shape or a web framework."""

from __future__ import annotations

from dataclasses import dataclass, field

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Controls:
    artistic_level: int | None = None  # 0..5
    colors: tuple[RGB, ...] = ()
    background_color: RGB | None = None
    no_text: bool = False


@dataclass(frozen=True)
class TextLayoutItem:
    """A word and its quad (four points, relative to the image), as the client sent it."""

    text: str
    bbox: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Delivery:
    """What happens to results between the engine and the client (the same for every endpoint).

    ``keep``: expire=false. ``upscale``: upscale4mp/upscale16mp, run on raster results.
    ``features``: score each image (calculate_features); ``block_nsfw``: refuse NSFW results.
    """

    image_format: str | None = None  # png | webp; None: png
    keep: bool = False
    upscale: str | None = None
    features: bool = False
    block_nsfw: bool = False
    revised_prompt: str | None = None

    @property
    def scores(self) -> bool:
        return self.features or self.block_nsfw


@dataclass(frozen=True)
class GenerationRequest:
    """Text-to-image, and the generation settings of every generative edit."""

    prompt: str
    n: int = 1
    model: str | None = None
    style: str | None = None
    substyle: str | None = None
    style_id: str | None = None
    negative_prompt: str | None = None
    controls: Controls = field(default_factory=Controls)
    random_seed: int | None = None
    text_layout: tuple[TextLayoutItem, ...] = ()
    creativity: str | None = None  # simple | standard | eccentric
    size: str | None = None  # WxH or an aspect ratio; edits: the input's size unless given
    strength: float | None = None  # imageToImage: how far to move from the input
    style_reference_urls: tuple[str, ...] = ()
    delivery: Delivery = field(default_factory=Delivery)


@dataclass(frozen=True)
class OutpaintRequest:
    """The image on a larger canvas: by margins, by a size, or by zooming out (one of them)."""

    generation: GenerationRequest
    expand_top: int | None = None
    expand_bottom: int | None = None
    expand_left: int | None = None
    expand_right: int | None = None
    size: str | None = None
    zoom_out_percentage: float | None = None


@dataclass(frozen=True)
class VariationRequest:
    size: str
    n: int = 1
    seed: int | None = None
    model: str | None = None
    delivery: Delivery = field(default_factory=Delivery)


@dataclass(frozen=True)
class ExploreRequest:
    prompt: str
    model: str | None = None
    size: str | None = None
    controls: Controls = field(default_factory=Controls)
    delivery: Delivery = field(default_factory=Delivery)


@dataclass(frozen=True)
class ExploreSimilarRequest:
    source_image_id: str
    similarity: int  # 1 (loosely related) .. 5 (nearly the same)
    delivery: Delivery = field(default_factory=Delivery)
