"""Custom styles: create from reference images, list, get, delete, generate with them."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import httpx
import openai
import pytest
from PIL import Image

from tests.conftest import Server, error_of, png_bytes


def create_style(
    http: httpx.Client, files: list[tuple[str, bytes]], style: str = "digital_illustration"
) -> httpx.Response:
    return http.post(
        "/v1/styles",
        data={"style": style},
        files=[(name, (f"{name}.png", data, "image/png")) for name, data in files],
    )


def test_sdk_example_creates_a_style_and_generates_with_it(
    client: openai.OpenAI, server: Server, token: str
) -> None:
    before = server.balance(token)
    style = client.post(
        path="/styles",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"style": "digital_illustration"},
        files={"file1": png_bytes(color=(230, 20, 20)), "file2": png_bytes(color=(20, 20, 230))},
    )
    assert isinstance(style, dict)
    assert server.balance(token) == before - 40

    response = client.images.generate(
        prompt="wood potato masher",
        response_format="b64_json",
        extra_body={"style_id": style["id"], "controls": {"artistic_level": 0}},
    )
    image = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json or "")))
    # The style's palette (red and blue) dominates the generated image.
    colors = image.convert("RGB").resize((64, 64)).getcolors(64 * 64) or []
    reddish_or_bluish = sum(
        count for count, (r, g, b) in colors if (r > 150 and g < 90) or (b > 150 and g < 90)
    )
    assert reddish_or_bluish > 0.3 * 64 * 64


def test_list_get_delete_and_ownership(server: Server, http: httpx.Client) -> None:
    created = create_style(http, [("file", png_bytes())], style="vector_illustration")
    assert created.status_code == 200, created.text
    style_id = created.json()["id"]

    listed = http.get("/v1/styles").json()["styles"]
    assert [s["id"] for s in listed] == [style_id]
    got = http.get(f"/v1/styles/{style_id}").json()
    assert got["style"] == "vector_illustration" and got["images"] == 1
    assert got["colors"][0]["rgb"] == [200, 30, 30]

    stranger, _ = server.create_user()
    with server.http(stranger) as other:
        assert other.get(f"/v1/styles/{style_id}").status_code == 404
        assert other.delete(f"/v1/styles/{style_id}").status_code == 404
        denied = other.post("/v1/images/generations", json={"prompt": "x", "style_id": style_id})
        assert denied.status_code == 404 and error_of(denied)["param"] == "style_id"
        assert other.get("/v1/styles").json() == {"styles": []}

    # A vector custom style generates SVG at the vector price.
    generated = http.post("/v1/images/generations", json={"prompt": "x", "style_id": style_id})
    assert generated.json()["credits"] == 80

    assert http.delete(f"/v1/styles/{style_id}").status_code == 200
    assert http.get(f"/v1/styles/{style_id}").status_code == 404
    assert http.get("/v1/styles").json() == {"styles": []}


def huge_png(width: int, height: int) -> bytes:
    """A tiny file declaring a huge 1-bit canvas: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("style", "files", "status", "param"),
    [
        ("digital_illustration", [], 400, "files"),
        ("digital_illustration", [("f", png_bytes())] * 6, 400, "files"),
        ("oil_painting", [("f", png_bytes())], 400, "style"),
        ("any", [("f", png_bytes())], 400, "style"),
        ("digital_illustration", [("f", b"GIF89a not really")], 400, "files[0]"),
        ("digital_illustration", [("f", png_bytes()[:60])], 400, "files[0]"),
        ("digital_illustration", [("f", huge_png(20000, 20000))], 400, "files[0]"),
        ("digital_illustration", [("a", b"\0" * 2_726_000), ("b", b"\0" * 2_726_000)], 400, "files"),
        ("digital_illustration", [("a", b"\0" * (6 * 1024 * 1024))], 413, None),
    ],
)  # fmt: skip
def test_bad_style_uploads_are_refused_and_charge_nothing(
    server: Server,
    token: str,
    http: httpx.Client,
    style: str,
    files: list[tuple[str, bytes]],
    status: int,
    param: str | None,
) -> None:
    before = server.balance(token)
    response = create_style(http, files, style=style)
    assert response.status_code == status, response.text
    assert error_of(response)["param"] == param
    assert server.balance(token) == before
    assert http.get("/v1/styles").json() == {"styles": []}


def test_style_creation_needs_multipart(http: httpx.Client) -> None:
    response = http.post("/v1/styles", json={"style": "digital_illustration"})
    assert response.status_code == 400
    assert "multipart" in str(error_of(response)["message"])


def test_style_creation_needs_credits(server: Server) -> None:
    token, _ = server.create_user(credits=39)
    response = create_style(server.http(token), [("file", png_bytes())])
    assert response.status_code == 402
    assert server.http(token).get("/v1/styles").json() == {"styles": []}
