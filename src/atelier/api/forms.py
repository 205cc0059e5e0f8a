"""Reading image requests as real clients send them: multipart/form-data, or JSON bodies
whose images are URLs (``image_url``, ``mask_url``, ...).

Scalars arrive as plain fields. Nested fields (``controls``, ``text_layout``) arrive as a JSON
string, as a JSON file part, or in the bracket style the OpenAI SDK writes for
``client.post(..., body={...}, files=...)``: ``controls[colors][][rgb][]`` once per number.
The SDK sends all values of one bracket path together, so the boundaries between list items
are lost; they are recovered from the objects' scalar fields or, failing that, from the known
size of an item (an rgb colour has 3 numbers, a bbox point 2).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from atelier.api.deps import authenticate, current_user
from atelier.api.schemas import validate_as
from atelier.errors import InvalidJson, InvalidRequest
from atelier.inputs import ImageSource

M = TypeVar("M", bound=BaseModel)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
JSON_FIELDS = (
    "controls",
    "text_layout",
    "strict_color_palette",
    "palette",
    "image_weights",
    "source_styles",
    "source_style_weights",
    "style_reference_urls",
    "image_urls",
)
# File fields that may repeat (a list of images), as sent bare or with the SDK's "[]".
FILE_LISTS = ("style_references", "images")
MAX_FILES = 12
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Values per item for lists whose items cannot be told apart otherwise.
ITEM_SIZES = {"colors": 3, "bbox": 2}
_TOKEN = re.compile(r"\[([^\[\]]*)\]")


@dataclass
class Form:
    """A request's fields and files (a JSON body has fields only)."""

    fields: dict[str, Any]
    files: dict[str, bytes]
    file_lists: dict[str, list[bytes]] = field(default_factory=dict)

    def parse(self, model: type[M]) -> M:
        """The fields as ``model``; problems are reported like JSON body problems."""
        return validate_as(model, self.fields)

    def file(self, name: str, *aliases: str) -> bytes:
        """The file part ``name`` (or one of its aliases: clients send `file` or `image`)."""
        data = self.optional_file(name, *aliases)
        if data is None:
            raise InvalidRequest(f"{name} is required: send it as a file part named {name!r}", name)
        return data

    def optional_file(self, name: str, *aliases: str) -> bytes | None:
        return next((self.files[key] for key in (name, *aliases) if key in self.files), None)

    def image(self, url: str | None, name: str = "image", *aliases: str) -> ImageSource:
        """The input image: the file part ``name`` (or an alias), or the URL field given."""
        source = self.optional_image(url, name, *aliases)
        if source is None:
            parts = " or ".join(repr(part) for part in (name, *aliases))
            raise InvalidRequest(
                f"{name} is required: send it as a file part named {parts}, or as "
                f"{name}_url in a JSON body",
                param=name,
            )
        return source

    def optional_image(self, url: str | None, name: str, *aliases: str) -> ImageSource | None:
        part = next((key for key in (name, *aliases) if key in self.files), None)
        if part is not None and url is not None:
            raise InvalidRequest(f"send {name} as a file or as {name}_url, not both", f"{name}_url")
        if part is not None:
            return ImageSource(part, data=self.files[part])  # errors name the part sent
        return None if url is None else ImageSource(f"{name}_url", url=url)

    def check_no_other_files(self, *names: str) -> None:
        unknown = sorted((set(self.files) | set(self.file_lists)) - set(names))
        if unknown:
            raise InvalidRequest(
                f"unexpected file parts {unknown}; this endpoint takes {', '.join(names)}",
                param=unknown[0],
            )


def multipart_openapi(model: type[BaseModel], files: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI request body of an image endpoint, for /docs: multipart with the files, or
    JSON with their URLs."""
    json_schema = model.model_json_schema()
    schema = model.model_json_schema()
    # The first file is the image the endpoint works on; a mask is needed where the JSON body
    # names one (mask_url). In JSON bodies their URLs are what is required instead.
    needed = [files[0], *(name for name in files[1:] if f"{name}_url" in model.model_fields)]
    for name in files:
        schema.setdefault("properties", {})[name] = {"type": "string", "format": "binary"}
        schema["properties"].pop(f"{name}_url", None)
    schema["required"] = sorted({*schema.get("required", ()), *needed})
    urls = [f"{name}_url" for name in needed if f"{name}_url" in json_schema.get("properties", {})]
    json_schema["required"] = sorted({*json_schema.get("required", ()), *urls})
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {"schema": schema},
                "application/json": {"schema": json_schema},
            }
        }
    }


def multipart_post(
    router: APIRouter,
    path: str,
    response_model: type[BaseModel],
    params: type[BaseModel],
    files: tuple[str, ...],
) -> Callable[[Endpoint], Endpoint]:
    """``router.post`` for a multipart endpoint whose form fields are ``params``."""
    return router.post(
        path,
        response_model=response_model,
        response_model_exclude_none=True,
        openapi_extra=multipart_openapi(params, files),
    )


def require_form(request: Request, what: str) -> None:
    """Refuse a body that is not a form, saying that ``what`` is sent as multipart/form-data."""
    if not request.headers.get("content-type", "").startswith(FORM_CONTENT_TYPES):
        raise InvalidRequest(f"send {what} as multipart/form-data")


def parse_json(text: str | bytes, param: str | None = None) -> Any:
    """JSON text as Python values, or a 400 naming ``param`` (None: the body).

    Beyond syntax, two things json.loads lets through would fail later as 500s: nesting so
    deep that it exhausts the stack, and escaped lone surrogates ("\\ud800"), which are not
    text and cannot be encoded as UTF-8."""
    what = param or "the request body"
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidJson(f"{what} is nested too deeply", param=param) from None
    except ValueError:  # JSONDecodeError, and bytes that are not UTF-8
        raise InvalidJson(f"{what} is not valid JSON", param=param) from None
    where = _surrogate_in(value, param)
    if where is not None:
        raise InvalidRequest(
            f"{where or what} contains an unpaired UTF-16 surrogate (e.g. \\ud800): "
            "send text as valid Unicode",
            param=where,
        )
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_in(value: Any, path: str | None) -> str | None:
    """The path of the first string in ``value`` holding a lone surrogate ("" for the root)."""
    stack: list[tuple[Any, str | None]] = [(value, path)]
    while stack:  # iterative: the nesting depth is the client's choice
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where or ""
        elif isinstance(item, dict):
            for key, sub in item.items():
                if _SURROGATE.search(key):
                    return where or ""
                stack.append((sub, f"{where}.{key}" if where else key))
        elif isinstance(item, list):
            stack.extend((sub, f"{where or ''}[{i}]") for i, sub in enumerate(item))
    return None


class CheckedJsonRequest(Request):
    """A request whose JSON body is read by ``parse_json`` (for bodies FastAPI parses)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class CheckedJsonRoute(APIRoute):
    """The route class of every router: bodies FastAPI parses into models get the checks of
    ``parse_json`` too (FastAPI reports what ``json()`` raises as the cause of a 400), and are
    read only after the token is checked (FastAPI reads them before running dependencies)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        auth_first = self.body_field is not None and _depends_on(self.dependant, current_user)

        async def checked(request: Request) -> Response:
            checked_request = CheckedJsonRequest(request.scope, request.receive)
            if auth_first:
                await authenticate(checked_request)
            return await handler(checked_request)

        return checked


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


async def read_request(request: Request) -> Form:
    """A JSON object body, or a form; anything else is a 400 saying what to send."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        body = parse_json(await request.body())
        if not isinstance(body, dict):
            raise InvalidRequest("the request body must be a JSON object")
        return Form(body, {})
    return await read_form(request)


async def read_form(request: Request) -> Form:
    require_form(request, "the image and the parameters (or a JSON body with image URLs)")
    items: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    lists: dict[str, list[bytes]] = {}
    async with request.form(max_files=MAX_FILES, max_fields=1000) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                listed = name.removesuffix("[]")
                if name in JSON_FIELDS:
                    items.append((name, data.decode("utf-8", errors="replace")))
                elif listed in FILE_LISTS:
                    lists.setdefault(listed, []).append(data)
                elif name in files:
                    raise InvalidRequest(f"send one file as {name!r}", param=name)
                else:
                    files[name] = data
            else:
                items.append((name, value))
    return Form(decode_fields(items), files, lists)


def decode_fields(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Plain, JSON-string and bracket-style fields to one nested dict."""
    fields: dict[str, Any] = {}
    paths: defaultdict[str, dict[tuple[str, ...], list[str]]] = defaultdict(dict)
    for name, value in items:
        root, _, rest = name.partition("[")
        if not rest:
            fields[name] = value
            continue
        tokens = tuple(_TOKEN.findall("[" + rest))
        paths[root].setdefault(tokens, []).append(value)
    for root, entries in paths.items():
        fields[root] = _assemble(root, list(entries.items()))
    return decode_json_strings(fields, JSON_FIELDS)


def decode_json_strings(fields: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``fields`` with those of ``names`` that arrived as JSON text parsed."""
    for name in names:
        if isinstance(fields.get(name), str):
            fields[name] = parse_json(fields[name], param=name)
    return fields


def _assemble(key: str, entries: list[tuple[tuple[str, ...], list[str]]]) -> Any:
    if len(entries) == 1 and not entries[0][0]:
        values = entries[0][1]
        return values[-1]
    if all(tokens and tokens[0] == "" for tokens, _ in entries):
        return _assemble_list(key, [(tokens[1:], values) for tokens, values in entries])
    if any(not tokens or tokens[0] == "" for tokens, _ in entries):
        raise InvalidRequest(f"{key} mixes a value with nested fields", param=key)
    grouped: defaultdict[str, list[tuple[tuple[str, ...], list[str]]]] = defaultdict(list)
    for tokens, values in entries:
        grouped[tokens[0]].append((tokens[1:], values))
    return {name: _assemble(name, sub) for name, sub in grouped.items()}


def _assemble_list(key: str, entries: list[tuple[tuple[str, ...], list[str]]]) -> list[Any]:
    if len(entries) == 1 and not entries[0][0]:
        return list(entries[0][1])  # a list of scalars: rgb[] = 0, 255, 0
    if len(entries) == 1 and entries[0][0] == ("",):
        return _chunks(key, entries[0][1], ITEM_SIZES.get(key))  # bbox[][]: flat pairs
    scalar_counts = [len(values) for tokens, values in entries if len(tokens) == 1]
    if scalar_counts:
        count = max(scalar_counts)
    else:
        size = ITEM_SIZES.get(key)
        total = len(entries[0][1])
        count = total // size if size and total % size == 0 else 0
    if count == 0:
        raise InvalidRequest(f"cannot tell the items of {key} apart; send it as JSON", key)
    items: list[dict[str, Any]] = [{} for _ in range(count)]
    for tokens, values in entries:
        for item, chunk in zip(items, _chunks(key, values, None, parts=count), strict=True):
            item[tokens[0]] = _assemble(tokens[0], [(tokens[1:], chunk)])
    return items


def _chunks(key: str, values: list[str], size: int | None, parts: int | None = None) -> list[Any]:
    if parts is not None:
        if len(values) % parts:
            raise InvalidRequest(f"the items of {key} have different shapes; send JSON", key)
        size = len(values) // parts
    if not size or len(values) % size:
        raise InvalidRequest(f"cannot split the values of {key}; send it as JSON", param=key)
    return [values[i : i + size] for i in range(0, len(values), size)]
