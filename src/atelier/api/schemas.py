"""Request and response bodies of the HTTP API, as pydantic models (types and ranges only;
catalog rules such as style x substyle x model live in the domain modules)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from atelier.catalog import MAX_N, MAX_TEXT_LAYOUT_ITEMS

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
