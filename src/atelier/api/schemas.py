"""Request and response bodies of the HTTP API, as pydantic models (types and ranges only;
catalog rules such as style x substyle x model live in the domain modules)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atelier import requests
from atelier.catalog import MAX_IMAGE_URL_CHARS, MAX_N, MAX_STYLE_IMAGES, MAX_TEXT_LAYOUT_ITEMS
from atelier.errors import InvalidRequest
from atelier.tools.vectorizer import VectorizeOptions

M = TypeVar("M", bound=BaseModel)
Channel = Annotated[int, Field(ge=0, le=255)]
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Color(Strict):
    rgb: Annotated[list[Channel], Field(min_length=3, max_length=3)]
    # Recraft's ImageColor also carries these (as returned by its palette tools); ignored here.
    std: list[float] | None = None
    weight: float | None = None


class Controls(Strict):
    artistic_level: Annotated[int, Field(ge=0, le=5)] | None = None
    colors: list[Color] | None = Field(None, max_length=16)
    background_color: Color | None = None
    no_text: bool | None = None

    def to_domain(self) -> requests.Controls:
        return requests.Controls(
            artistic_level=self.artistic_level,
            colors=tuple(_rgb(c.rgb) for c in self.colors or ()),
            background_color=_rgb(self.background_color.rgb) if self.background_color else None,
            no_text=bool(self.no_text),
        )


class TextLayoutItem(Strict):
    text: str
    bbox: Annotated[
        list[Annotated[list[Coordinate], Field(min_length=2, max_length=2)]],
        Field(min_length=4, max_length=4),
    ]

    def to_domain(self) -> requests.TextLayoutItem:
        return requests.TextLayoutItem(self.text, tuple((x, y) for x, y in self.bbox))


def _rgb(values: list[int]) -> requests.RGB:
    r, g, b = values
    return (r, g, b)


Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
ImageCount = Annotated[int, Field(ge=1, le=MAX_N)]
ResponseFormat = Literal["url", "b64_json"]
ImageFormat = Literal["png", "webp"]
OnOff = Literal["on", "off"]
Upscale = Literal["upscale4mp", "upscale16mp"]
# An input image given by reference in a JSON body: an http(s) URL or a data: URL.
ImageUrl = Annotated[str, Field(min_length=1, max_length=MAX_IMAGE_URL_CHARS)]


class DeliveryFields(Strict):
    """How results are handed back; every image endpoint takes these."""

    response_format: ResponseFormat | None = "url"
    image_format: ImageFormat | None = None
    expire: bool | None = None  # false: keep the image until deleted (README)

    def delivery(self) -> requests.Delivery:
        """The domain's Delivery of this body (the fields it lacks take their defaults)."""
        output_format = getattr(self, "output_format", None)
        if output_format == "jpeg":
            raise InvalidRequest(
                "output_format jpeg is not served here; use png or webp", "output_format"
            )
        return requests.Delivery(
            image_format=self.image_format or output_format,
            keep=self.expire is False,
            upscale=getattr(self, "upscale", None),
            features=bool(getattr(self, "calculate_features", None)),
            block_nsfw=bool(getattr(self, "block_nsfw", None)),
        )


class GenerationParams(DeliveryFields):
    """What every generative endpoint takes (text-to-image and the generative edits)."""

    prompt: str
    n: ImageCount | None = 1
    style: str | None = None
    substyle: str | None = None
    style_id: str | None = None
    model: str | None = None
    negative_prompt: str | None = None
    controls: Controls | None = None
    random_seed: Seed | None = None
    text_layout: list[TextLayoutItem] | None = Field(None, max_length=MAX_TEXT_LAYOUT_ITEMS)
    creativity: Literal["simple", "standard", "eccentric"] | None = None
    style_match: Literal["regular", "precise", "flexible"] | None = None
    block_nsfw: bool | None = None
    calculate_features: bool | None = None
    user: str | None = None  # sent by some OpenAI clients; accepted and ignored

    def to_domain(self) -> requests.GenerationRequest:
        if getattr(self, "stream", None):
            raise InvalidRequest("streaming is not served here; leave stream out", "stream")
        return requests.GenerationRequest(
            prompt=self.prompt,
            n=self.n or 1,
            model=self.model,
            style=self.style,
            substyle=self.substyle,
            style_id=self.style_id,
            negative_prompt=self.negative_prompt,
            controls=self.controls.to_domain() if self.controls else requests.Controls(),
            random_seed=self.random_seed,
            text_layout=tuple(item.to_domain() for item in self.text_layout or ()),
            creativity=self.creativity,
            size=getattr(self, "size", None),
            strength=getattr(self, "strength", None),
            style_reference_urls=tuple(getattr(self, "style_reference_urls", None) or ()),
            delivery=self.delivery(),
        )


class OpenAIImageFields(Strict):
    """OpenAI images API fields with no Recraft meaning: accepted, and honoured where they can
    be (output_format png/webp), else ignored (README)."""

    quality: Literal["standard", "hd", "low", "medium", "high", "auto"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    moderation: Literal["low", "auto"] | None = None
    output_compression: Annotated[int, Field(ge=0, le=100)] | None = None
    output_format: Literal["png", "webp", "jpeg"] | None = None
    partial_images: Annotated[int, Field(ge=0, le=3)] | None = None
    stream: bool | None = None
    input_fidelity: Literal["high", "low"] | None = None


class GenerateRequest(GenerationParams, OpenAIImageFields):
    size: str | None = None
    upscale: Upscale | None = None
    style_reference_urls: list[ImageUrl] | None = Field(None, max_length=MAX_STYLE_IMAGES)


class TransformRequest(GenerationParams):
    """replaceBackground (and the base of the other edits): the image, as a file or image_url."""

    image_url: ImageUrl | None = None


class ImageToImageRequest(TransformRequest):
    strength: Annotated[float, Field(ge=0, le=1)]


class MaskedTransformRequest(TransformRequest):
    """inpaint and generateBackground: the mask as a file or mask_url."""

    mask_url: ImageUrl | None = None


class OutpaintRequest(TransformRequest):
    """outpaint: the new canvas by margins, by a size of the catalog, or by zooming out."""

    prompt: str = ""  # optional here: the image says what to continue (clients send "")

    expand_top: Annotated[int, Field(ge=0, le=4096)] | None = None
    expand_bottom: Annotated[int, Field(ge=0, le=4096)] | None = None
    expand_left: Annotated[int, Field(ge=0, le=4096)] | None = None
    expand_right: Annotated[int, Field(ge=0, le=4096)] | None = None
    size: str | None = None
    zoom_out_percentage: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None

    def outpaint(self) -> requests.OutpaintRequest:
        generation = replace(self.to_domain(), size=None)
        return requests.OutpaintRequest(
            generation, self.expand_top, self.expand_bottom, self.expand_left,
            self.expand_right, self.size, self.zoom_out_percentage,
        )  # fmt: skip


class OpenAIEditRequest(GenerationParams, OpenAIImageFields):
    """client.images.edit: OpenAI's fields, plus Recraft's generation parameters."""

    size: str | None = None
    strength: Annotated[float, Field(ge=0, le=1)] = 0.5  # how far imageToImage moves


class OpenAIVariationRequest(Strict):
    """client.images.create_variation."""

    model: str | None = None
    n: ImageCount | None = 1
    size: str | None = None
    response_format: ResponseFormat | None = "url"
    user: str | None = None


class VariateRequest(DeliveryFields):
    size: str
    n: ImageCount | None = 1
    random_seed: Seed | None = None
    seed: Seed | None = None  # the spec's own curl example sends "seed"
    model: str | None = None
    image_url: ImageUrl | None = None

    def to_domain(self) -> requests.VariationRequest:
        seed = self.random_seed if self.random_seed is not None else self.seed
        return requests.VariationRequest(self.size, self.n or 1, seed, self.model, self.delivery())


class ExploreRequest(DeliveryFields):
    prompt: str
    model: str | None = None
    size: str | None = None
    controls: Controls | None = None
    block_nsfw: bool | None = None

    def to_domain(self) -> requests.ExploreRequest:
        controls = self.controls.to_domain() if self.controls else requests.Controls()
        return requests.ExploreRequest(
            self.prompt, self.model, self.size, controls, self.delivery()
        )


class ExploreSimilarRequest(DeliveryFields):
    source_image_id: str
    similarity: Annotated[int, Field(ge=1, le=5)]
    block_nsfw: bool | None = None

    def to_domain(self) -> requests.ExploreSimilarRequest:
        return requests.ExploreSimilarRequest(
            self.source_image_id, self.similarity, self.delivery()
        )


class ImageInput(DeliveryFields):
    """An endpoint's input image: a file part, or image_url in a JSON body."""

    image_url: ImageUrl | None = None


class EraseRequest(ImageInput):
    mask_url: ImageUrl | None = None


class ToolRequest(ImageInput):
    """The one-image tools, optionally upscaled afterwards."""

    upscale: Upscale | None = None


class VectorizeRequest(ToolRequest):
    """Recraft's vectorize options, mapped onto vtracer (README)."""

    svg_compression: OnOff | None = None
    limit_num_shapes: OnOff | None = None
    max_num_shapes: Annotated[int, Field(ge=1, le=100_000)] | None = None
    return_gradients: OnOff | None = None
    shape_stacking: Literal["cut_out", "hierarchical"] | None = None
    small_shape_filter: OnOff | None = None
    strict_color_palette: (
        list[Annotated[list[Channel], Field(min_length=3, max_length=3)]] | None
    ) = Field(None, min_length=1, max_length=256)
    # Recraft's color_reduction is on/off; atelier's first option of that name was a colour
    # count, still taken as a number (2..64).
    color_reduction: OnOff | Annotated[int, Field(ge=2, le=64)] | None = None
    # atelier's own older names, kept as aliases.
    filter_speckle: Annotated[int, Field(ge=0, le=128)] | None = None
    stacking: Literal["stacked", "cutout"] | None = None

    def options(self) -> VectorizeOptions:
        """Recraft's vectorize fields (and atelier's older names) as tracing options."""
        fields = self.model_dump(include=RECRAFT_VECTORIZE_FIELDS, exclude_none=True)
        if self.stacking is not None:
            if self.shape_stacking not in (None, OLD_STACKING[self.stacking]):
                raise InvalidRequest(
                    "stacking and shape_stacking disagree; send shape_stacking", "stacking"
                )
            fields["shape_stacking"] = OLD_STACKING[self.stacking]
        if self.filter_speckle is not None and self.small_shape_filter is not None:
            raise InvalidRequest(
                "filter_speckle and small_shape_filter both set the speckle filter; send one",
                "filter_speckle",
            )
        try:
            options = VectorizeOptions.from_recraft(**fields)
        except ValueError as exc:
            param = "max_num_shapes" if "max_num_shapes" in str(exc) else "strict_color_palette"
            raise InvalidRequest(str(exc), param) from None
        if self.filter_speckle is not None:
            options = replace(options, filter_speckle=self.filter_speckle)
        return options


RECRAFT_VECTORIZE_FIELDS = {
    "svg_compression", "limit_num_shapes", "max_num_shapes", "return_gradients",
    "shape_stacking", "small_shape_filter", "strict_color_palette", "color_reduction",
}  # fmt: skip
# atelier's older option names, still taken where they do not clash with Recraft's.
OLD_STACKING = {"stacked": "hierarchical", "cutout": "cut_out"}


class DalleGenerateRequest(Strict):
    """The DALL-E-format re-seller's body; an image URL in the prompt makes it image-to-image."""

    model: Literal["recraftv3"]
    prompt: str
    size: str | None = None
    response_format: ResponseFormat | None = "url"
    n: ImageCount | None = 1
    user: str | None = None


class AimlColor(Strict):
    r: Channel
    g: Channel
    b: Channel


class AimlImageSize(Strict):
    width: Annotated[int, Field(gt=0, le=16384)]
    height: Annotated[int, Field(gt=0, le=16384)]


class AimlGenerateRequest(Strict):
    """The AI/ML API's body for model recraft-v3."""

    model: Literal["recraft-v3"]
    prompt: str
    image_size: (
        Literal[
            "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3",
            "landscape_16_9",
        ]
        | AimlImageSize
        | None
    ) = None  # fmt: skip
    style: str | None = None  # "style" or "style/substyle"
    colors: list[AimlColor] | None = Field(None, max_length=16)
    num_images: ImageCount | None = 1
    style_id: str | None = None


class AimlImage(BaseModel):
    url: str
    content_type: str
    file_name: str
    file_size: int


class AimlResponse(BaseModel):
    images: list[AimlImage]


class Features(BaseModel):
    nsfw_score: float | None = None


class ImageData(BaseModel):
    image_id: str
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None
    features: Features | None = None


class GenerateResponse(BaseModel):
    created: int
    credits: int
    data: list[ImageData]
    style_id: str | None = None


class ToolResponse(BaseModel):
    created: int
    credits: int
    image: ImageData


class UserOut(BaseModel):
    id: str
    credits: int
    email: str
    name: str | None


class ErrorBody(BaseModel):
    code: str
    message: str
    param: str | None = None


def validate_as(model: type[M], data: object) -> M:
    """``data`` as ``model``; problems are reported like problems of a JSON body."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
