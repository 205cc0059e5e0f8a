"""Hostile input through the live server: each is a 4xx with a clear code, charges nothing, and
leaves the keep-alive connection usable (the next request goes over the same socket)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import Server, error_of


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_chunk(kind: bytes, payload: bytes) -> bytes:
    """A valid 300x300 PNG with one extra chunk right after its header."""
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 30, 30)).save(buffer, format="PNG")
    data = buffer.getvalue()
    header_end = 8 + 25  # the signature and the IHDR chunk
    return data[:header_end] + chunk(kind, payload) + data[header_end:]


# 20 MB of zeros in 20 KB: past Pillow's limit for a decompressed text or profile chunk.
BOMB = zlib.compress(b"\0" * (20 * 1024 * 1024), 9)
PNG_BOMBS = {
    "zTXt": png_with_chunk(b"zTXt", b"key\0\0" + BOMB),
    "iTXt": png_with_chunk(b"iTXt", b"key\0\1\0\0\0" + BOMB),
    "iCCP": png_with_chunk(b"iCCP", b"icc\0\0" + BOMB),
}
UPLOADS = [  # the path, the file part, the other fields, the param the error names
    ("/v1/images/removeBackground", "file", {}, "file"),
    ("/v1/images/imageToImage", "image", {"prompt": "x", "strength": "0.5"}, "image"),
    ("/v1/images/vectorize", "file", {}, "file"),
    ("/v1/styles", "file", {"style": "digital_illustration"}, "files[0]"),
]
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def user(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    token, _ = server.create_user(credits=1000)
    with server.http(token) as http:
        yield http, token


def local_port(response: httpx.Response) -> int:
    """The client-side port of the connection a response came over."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def assert_refused_on_a_live_connection(
    http: httpx.Client, response: httpx.Response, status: int, code: str, param: str | None
) -> None:
    assert response.status_code == status, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param), error
    after = http.get("/v1/users/me")
    assert after.status_code == 200 and after.json()["credits"] == 1000  # nothing charged
    assert local_port(after) == local_port(response)  # the same connection, not a new one


@pytest.mark.parametrize("kind", PNG_BOMBS)
@pytest.mark.parametrize(("path", "field", "data", "param"), UPLOADS)
def test_png_chunks_that_decompress_too_far(
    user: tuple[httpx.Client, str],
    kind: str,
    path: str,
    field: str,
    data: dict[str, str],
    param: str,
) -> None:
    http, _ = user
    response = http.post(path, data=data, files={field: ("a.png", PNG_BOMBS[kind])})
    assert_refused_on_a_live_connection(http, response, 400, "invalid_request", param)
    assert "metadata chunk" in str(error_of(response)["message"])


LONE_SURROGATES: list[tuple[str, str]] = [
    ('{"prompt": "a \\ud800"}', "prompt"),
    ('{"prompt": "a fox", "negative_prompt": "\\udfff"}', "negative_prompt"),
    ('{"prompt": "a \\ud800 fox", "model": "recraft-v3"}', "prompt"),  # AI/ML API
    ('{"prompt": "\\ud800", "model": "recraftv3", "size": "1024x512"}', "prompt"),  # DALL-E
    ('{"prompt": "x", "text_layout": [{"text": "\\udc00", "bbox": []}]}', "text_layout[0].text"),
]


@pytest.mark.parametrize(("body", "param"), LONE_SURROGATES)
def test_lone_surrogates_in_json(user: tuple[httpx.Client, str], body: str, param: str) -> None:
    http, _ = user
    response = http.post("/v1/images/generations", content=body, headers=JSON)
    assert_refused_on_a_live_connection(http, response, 400, "invalid_request", param)
    assert "surrogate" in str(error_of(response)["message"])


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/prompts/enhance", '{"prompt": "\\ud800"}', "prompt"),
        ("/v1/colors/optimize", '{"colors": [{"hex": "\\ud800"}]}', "colors[0].hex"),
        ("/v1/images/explore", '{"prompt": "a \\udbff"}', "prompt"),
        ("/v1/styles", '{"image_urls": ["data:,x"], "prompt": "\\ud800"}', "prompt"),
    ],
)
def test_lone_surrogates_elsewhere(
    user: tuple[httpx.Client, str], path: str, body: str, param: str
) -> None:
    http, _ = user
    response = http.post(path, content=body, headers=JSON)
    assert_refused_on_a_live_connection(http, response, 400, "invalid_request", param)


@pytest.mark.parametrize(
    ("path", "fields", "files"),
    [
        ("/v1/images/generations", {"prompt": "x", "controls": "[" * 100_000}, None),
        ("/v1/images/generations", {"prompt": "x", "text_layout": "{" * 50_000}, None),
        (
            "/v1/images/inpaint",
            {"prompt": "x", "controls": "[" * 100_000},
            {"image": ("a.png", PNG_BOMBS["zTXt"])},
        ),
    ],
)
def test_json_nested_past_the_stack(
    user: tuple[httpx.Client, str], path: str, fields: dict[str, str], files: Any
) -> None:
    http, _ = user
    param = next(name for name in fields if name != "prompt")
    response = http.post(path, data=fields, files=files)
    assert_refused_on_a_live_connection(http, response, 400, "invalid_json", param)


def test_a_json_body_nested_past_the_stack(user: tuple[httpx.Client, str]) -> None:
    http, _ = user
    response = http.post("/v1/images/generations", content=b"[" * 100_000, headers=JSON)
    assert_refused_on_a_live_connection(http, response, 400, "invalid_json", None)
