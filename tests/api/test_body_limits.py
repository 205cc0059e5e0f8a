"""Request bodies are capped while they are read."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator

import httpx
from PIL import Image

from tests.conftest import Server, error_of


def test_declared_oversize_body_is_413(http: httpx.Client, server: Server, token: str) -> None:
    before = server.balance(token)
    response = http.post(
        "/v1/images/generations",
        content=b"{" + b" " * (16 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert server.balance(token) == before


def test_streamed_oversize_body_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield b'{"prompt": "'
        for _ in range(200):  # 20 MB: past every limit (images travel base64 in JSON bodies)
            yield b"x" * 100_000
        yield b'"}'

    response = http.post(
        "/v1/images/generations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert error_of(response)["code"] == "payload_too_large"


def test_json_bodies_past_one_megabyte_need_images_in_them(
    http: httpx.Client, server: Server, token: str
) -> None:
    before = server.balance(token)
    text = {"prompt": "a fox", "negative_prompt": "x" * (2 * 1024 * 1024)}  # 2 MB, no image
    for path in ("/v1/images/generations", "/v1/prompts/enhance"):
        response = http.post(path, json=text)
        assert response.status_code == 413, response.text
        assert "JSON body is larger than 1048576 bytes" in str(error_of(response)["message"])
    anonymous = httpx.post(f"{server.url}/v1/prompts/enhance", json=text)
    assert anonymous.status_code == 413  # refused while read, before anything is parsed

    # An image as a data: URL may take a JSON body past 1 MB, up to the upload limit.
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    assert len(url) > 1024 * 1024
    response = http.post(
        "/v1/images/imageToImage", json={"prompt": "x", "strength": 0.5, "image_url": url}
    )
    assert response.status_code == 200, response.text
    assert server.balance(token) == before - response.json()["credits"]
