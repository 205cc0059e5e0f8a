"""Request bodies are capped while they are read."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

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
