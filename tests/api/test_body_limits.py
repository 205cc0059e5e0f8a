"""Request bodies are capped in size and time while they are read, and headers in time."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.conftest import Server, error_of, start_server


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
    assert anonymous.status_code == 401  # the token is checked before the body is even read

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


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("impatient"),
        ATELIER_HEADER_TIMEOUT_SECONDS="1",
        ATELIER_BODY_TIMEOUT_SECONDS="1",
    )
    yield server
    server.stop()


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    return sock


def test_connections_that_trickle_headers_or_send_nothing_are_closed(impatient: Server) -> None:
    silent, trickling = connect(impatient), connect(impatient)
    trickling.sendall(b"GET /v1/users/me HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    started = time.monotonic()
    assert silent.recv(1024) == b"" and trickling.recv(1024) == b""  # closed by the server
    assert time.monotonic() - started < 10
    silent.close()
    trickling.close()


def test_a_body_that_does_not_arrive_in_time_is_408(impatient: Server) -> None:
    token = impatient.create_user()[0]
    sock = connect(impatient)
    sock.sendall(
        b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"prompt": '  # 11 of the 100 bytes promised
    )
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    assert json.loads(body)["code"] == "request_timeout"
    assert impatient.balance(token) == 1_000_000
