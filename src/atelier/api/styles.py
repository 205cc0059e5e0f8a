"""Custom styles: POST/GET/DELETE /v1/styles and GET /v1/styles/basic.

POST takes multipart/form-data (images under ``images``, repeated or as ``images[]``, or, as
the first spec has it, under any other file field names) or a JSON body whose ``image_urls``
are http(s) or data: URLs. Both take the fields of Recraft's CreateStyleRequestBase; any other
field is a 400 naming it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute, decode_fields, decode_json_strings, parse_json
from atelier.api.schemas import Strict, validate_as
from atelier.errors import InvalidRequest
from atelier.inputs import ImageSource
from atelier.styles import (
    MAX_PALETTE_COLORS,
    MAX_REFERENCE_IMAGES,
    MAX_SOURCE_STYLES,
    STYLE_BASES,
    PaletteColor,
    Style,
    StyleRequest,
)

router = APIRouter(prefix="/v1/styles", tags=["styles"], route_class=CheckedJsonRoute)

# Fields that are lists: in a form, repeated (``image_weights`` or ``image_weights[]``, as the
# OpenAI SDK writes them) or one JSON array.
_LIST_FIELDS = ("image_weights", "source_styles", "source_style_weights")
# File parts that carry a field rather than an image (a JSON part).
_JSON_PARTS = ("palette", *_LIST_FIELDS)
# Generous: more parts than images allowed, so that the count is refused by our own check
# (with its param); the body size limit bounds the rest.
_MAX_FORM_FILES = 4 * MAX_REFERENCE_IMAGES
_MAX_PROMPT_CHARS = 10_000

Channel = Annotated[int, Field(ge=0, le=255)]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ColorIn(Strict):
    rgb: Annotated[list[Channel], Field(min_length=3, max_length=3)]
    std: (
        Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(max_length=3)] | None
    ) = None
    weight: Weight | None = None


class PaletteIn(Strict):
    colors: Annotated[list[ColorIn], Field(min_length=1, max_length=MAX_PALETTE_COLORS)]
    background_color: ColorIn | None = None


class CreateStyleFields(Strict):
    """Recraft's CreateStyleRequestBase (see atelier.styles.StyleRequest for what each does)."""

    style: str | None = None
    model: str | None = None
    match: Literal["regular", "precise", "flexible"] | None = None
    mix_policy: Literal["PaletteMatch", "MaxWeight"] | None = None
    palette: PaletteIn | None = None
    private: bool | None = None
    prompt: Annotated[str, Field(max_length=_MAX_PROMPT_CHARS)] | None = None
    image_weights: Annotated[list[Weight], Field(max_length=MAX_REFERENCE_IMAGES)] | None = None
    source_styles: Annotated[list[str], Field(max_length=MAX_SOURCE_STYLES)] | None = None
    source_style_weights: Annotated[list[Weight], Field(max_length=MAX_SOURCE_STYLES)] | None = None


class CreateStyleJSON(CreateStyleFields):
    """Recraft's CreateStyleJSONRequest: the images as http(s) or data: URLs."""

    image_urls: list[str]


class StyleColor(BaseModel):
    rgb: list[int]


class StyleOut(BaseModel):
    """Recraft's Style, plus atelier's keys of the first version (colors, images, created) and
    what the style was made with."""

    id: str
    style: str
    substyle: str | None = None
    is_private: bool
    creation_time: str
    colors: list[StyleColor]
    background_color: StyleColor | None = None
    images: int
    created: int
    model: str | None = None
    match: str | None = None
    mix_policy: str | None = None
    prompt: str | None = None


class StyleCreatedOut(StyleOut):
    credits: int


class StyleListOut(BaseModel):
    styles: list[StyleOut]


class BasicStyleOut(BaseModel):
    style_id: str
    style: str
    model: str


class BasicStyleListOut(BaseModel):
    styles: list[BasicStyleOut]


class DeletedOut(BaseModel):
    id: str


def _out(style: Style) -> dict[str, Any]:
    return {
        "id": style.id,
        "style": style.style,
        "substyle": style.substyle,
        "is_private": style.is_private,
        "creation_time": style.creation_time,
        "colors": [{"rgb": list(c)} for c in style.palette],
        "background_color": (
            {"rgb": list(style.background_color)} if style.background_color else None
        ),
        "images": style.images,
        "created": style.created,
        "model": style.model,
        "match": style.options.get("match"),
        "mix_policy": style.options.get("mix_policy"),
        "prompt": style.options.get("prompt"),
    }


def _color(color: ColorIn) -> PaletteColor:
    r, g, b = color.rgb
    return PaletteColor(
        (r, g, b), tuple(color.std) if color.std is not None else None, color.weight
    )


def _style_request(
    fields: CreateStyleFields, images: list[ImageSource], param: str
) -> StyleRequest:
    palette = fields.palette
    return StyleRequest(
        images=images,
        style=fields.style,
        model=fields.model,
        match=fields.match,
        mix_policy=fields.mix_policy,
        palette=tuple(_color(c) for c in palette.colors) if palette else None,
        background_color=_color(palette.background_color)
        if palette and palette.background_color
        else None,
        private=fields.private,
        prompt=fields.prompt,
        image_weights=tuple(fields.image_weights) if fields.image_weights is not None else None,
        source_styles=tuple(fields.source_styles or ()),
        source_style_weights=(
            tuple(fields.source_style_weights) if fields.source_style_weights is not None else None
        ),
        images_param=param,
    )


async def _json_request(request: Request) -> StyleRequest:
    body = parse_json(await request.body())
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    if "image_urls" not in body:
        raise InvalidRequest(
            "image_urls is required: a list of 1 to 10 http(s) or data: URLs of the reference "
            "images (or send them as files in multipart/form-data)",
            param="image_urls",
        )
    fields = validate_as(CreateStyleJSON, body)
    images = [ImageSource(f"image_urls[{i}]", url=url) for i, url in enumerate(fields.image_urls)]
    return _style_request(fields, images, "image_urls")


def _list_value(name: str, values: list[str]) -> Any:
    if len(values) == 1 and values[0].lstrip().startswith("["):
        return parse_json(values[0], param=name)
    return values


async def _form_request(request: Request) -> StyleRequest:
    items: list[tuple[str, str]] = []
    lists: dict[str, list[str]] = {}
    parts: list[tuple[str, bytes]] = []
    try:
        async with request.form(max_files=_MAX_FORM_FILES, max_fields=1000) as form:
            for name, value in form.multi_items():
                base = name.removesuffix("[]")
                if isinstance(value, UploadFile):
                    data = await value.read()
                    if base in _JSON_PARTS:
                        items.append((base, data.decode("utf-8", errors="replace")))
                    else:
                        parts.append((name, data))
                elif base in _LIST_FIELDS:
                    lists.setdefault(base, []).append(value)
                else:
                    items.append((name, value))
    except HTTPException as exc:  # starlette's refusal of a malformed or oversized form
        param = "images" if "files" in str(exc.detail).lower() else None
        raise InvalidRequest(str(exc.detail), param=param) from None
    fields: dict[str, Any] = decode_fields(items)
    for name, values in lists.items():
        fields[name] = _list_value(name, values)
    decode_json_strings(fields, _JSON_PARTS)
    parsed = validate_as(CreateStyleFields, fields)
    # Recraft's `images` (repeated, or `images[]`); the first spec's files under any names.
    param = "images" if parts and all(n in ("images", "images[]") for n, _ in parts) else "files"
    images = [ImageSource(f"{param}[{i}]", data=data) for i, (_, data) in enumerate(parts)]
    return _style_request(parsed, images, param)


def _request_body_docs() -> dict[str, Any]:
    form = CreateStyleFields.model_json_schema()
    form["properties"]["images"] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": "1-10 PNG/JPG/WEBP images (10 MB in all); any other file field names "
        "are taken as images too",
    }
    form["required"] = ["images"]
    form["properties"]["style"]["enum"] = list(STYLE_BASES)
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {"schema": form},
                "application/json": {"schema": CreateStyleJSON.model_json_schema()},
            }
        }
    }


@router.post(
    "",
    response_model=StyleCreatedOut,
    response_model_exclude_none=True,
    openapi_extra=_request_body_docs(),
    dependencies=[BillingDep],  # Recraft's ?billing=api|subscription
)
async def create_style(request: Request, user: UserDep, services: ServicesDep) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        req = await _json_request(request)
    elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        req = await _form_request(request)
    else:
        raise InvalidRequest(
            "send the style as multipart/form-data (the images as files) or as JSON (image_urls)"
        )
    created = await run_job(request, services, "tools", services.styles.create, user.id, req)
    return {**_out(created), "credits": services.styles.price}


@router.get("", response_model=StyleListOut, response_model_exclude_none=True)
async def list_styles(user: UserDep, services: ServicesDep) -> dict[str, Any]:
    styles = await run_in_threadpool(services.styles.list, user.id)
    return {"styles": [_out(s) for s in styles]}


# Declared before /{style_id}, which would otherwise take "basic" for an id.
@router.get("/basic", response_model=BasicStyleListOut)
async def list_basic_styles(user: UserDep, services: ServicesDep) -> BasicStyleListOut:
    return BasicStyleListOut(
        styles=[
            BasicStyleOut(style_id=s.id, style=s.style, model=s.model or "")
            for s in services.styles.basic()
        ]
    )


@router.get("/{style_id}", response_model=StyleOut, response_model_exclude_none=True)
async def get_style(style_id: str, user: UserDep, services: ServicesDep) -> dict[str, Any]:
    return _out(await run_in_threadpool(services.styles.get, user.id, style_id))


@router.delete("/{style_id}", response_model=DeletedOut)
async def delete_style(style_id: str, user: UserDep, services: ServicesDep) -> DeletedOut:
    await run_in_threadpool(services.styles.delete, user.id, style_id)
    return DeletedOut(id=style_id)
