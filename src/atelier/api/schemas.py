"""Request and response bodies of the HTTP API, as pydantic models (types and ranges only;
catalog rules such as style x substyle x model live in the domain modules)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atelier.catalog import MAX_N, MAX_TEXT_LAYOUT_ITEMS

M = TypeVar("M", bound=BaseModel)
Channel = Annotated[int, Field(ge=0, le=255)]
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Color(Strict):
    rgb: Annotated[list[Channel], Field(min_length=3, max_length=3)]


class Controls(Strict):
    artistic_level: Annotated[int, Field(ge=0, le=5)] | None = None
    colors: list[Color] | None = Field(None, max_length=16)
    background_color: Color | None = None
    no_text: bool | None = None


class TextLayoutItem(Strict):
    text: str
    bbox: Annotated[
        list[Annotated[list[Coordinate], Field(min_length=2, max_length=2)]],
        Field(min_length=4, max_length=4),
    ]


Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
ImageCount = Annotated[int, Field(ge=1, le=MAX_N)]
ResponseFormat = Literal["url", "b64_json"]


class GenerationParams(Strict):
    """What every generative endpoint takes (text-to-image and the generative edits)."""

    prompt: str
    n: ImageCount | None = 1
    style: str | None = None
    substyle: str | None = None
    style_id: str | None = None
    model: str | None = None
    response_format: ResponseFormat | None = "url"
    negative_prompt: str | None = None
    controls: Controls | None = None
    random_seed: Seed | None = None
    image_format: Literal["png", "webp"] | None = None
    user: str | None = None  # sent by some OpenAI clients; accepted and ignored


class GenerateRequest(GenerationParams):
    size: str | None = None
    text_layout: list[TextLayoutItem] | None = Field(None, max_length=MAX_TEXT_LAYOUT_ITEMS)


class ImageToImageRequest(GenerationParams):
    strength: Annotated[float, Field(ge=0, le=1)]


class OpenAIEditRequest(GenerationParams):
    """client.images.edit: OpenAI's fields, plus Recraft's generation parameters."""

    size: str | None = None
    strength: Annotated[float, Field(ge=0, le=1)] = 0.5  # how far imageToImage moves


class OpenAIVariationRequest(Strict):
    """client.images.create_variation."""

    model: Literal["recraftv3"] | None = None
    n: ImageCount | None = 1
    size: str | None = None
    response_format: ResponseFormat | None = "url"
    user: str | None = None


class VariateRequest(Strict):
    size: str
    n: ImageCount | None = 1
    random_seed: Seed | None = None
    seed: Seed | None = None  # the spec's own curl example sends "seed"
    image_format: Literal["png", "webp"] | None = None
    response_format: ResponseFormat | None = "url"


class ToolRequest(Strict):
    response_format: ResponseFormat | None = "url"


class VectorizeRequest(ToolRequest):
    """Recraft's newer vectorize options, mapped onto vtracer."""

    color_reduction: Annotated[int, Field(ge=2, le=64)] | None = None
    filter_speckle: Annotated[int, Field(ge=0, le=128)] | None = None
    stacking: Literal["stacked", "cutout"] | None = None


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


class ImageData(BaseModel):
    image_id: str
    url: str | None = None
    b64_json: str | None = None


class GenerateResponse(BaseModel):
    created: int
    credits: int
    data: list[ImageData]


class ToolResponse(BaseModel):
    created: int
    credits: int
    image: ImageData


class StyleOut(BaseModel):
    id: str
    style: str
    colors: list[Color]
    images: int
    created: int


class StyleList(BaseModel):
    styles: list[StyleOut]


class StyleCreated(BaseModel):
    id: str


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
