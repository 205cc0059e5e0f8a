"""The image tools through the live server: vectorize, removeBackground, crispUpscale,
creativeUpscale, eraseRegion."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import openai
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tests.api.test_edits import square_mask
from tests.conftest import Server, encode, error_of, sdk_multipart


def tool(
    client: openai.OpenAI,
    path: str,
    files: dict[str, object],
    body: dict[str, object] | None = None,
) -> dict[str, Any]:
    result = sdk_multipart(client, path, files, body)
    assert set(result) == {"created", "credits", "image"}
    return result


def fetched(result: dict) -> httpx.Response:
    response = httpx.get(result["image"]["url"])
    assert response.status_code == 200
    return response


def logo(size: tuple[int, int] = (320, 256)) -> Image.Image:
    image = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 220, 200), fill=(220, 30, 30))
    draw.rectangle((150, 120, 300, 230), fill=(30, 30, 200))
    return image


def subject_on_background(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A shaded figure (head and body) on a plain wall: what matting models are made for."""
    w, h = size
    image = Image.new("RGB", size, (225, 220, 210))
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.40, h * 0.12, w * 0.60, h * 0.40), fill=(205, 160, 130))
    draw.rounded_rectangle((w * 0.32, h * 0.38, w * 0.68, h * 1.05), radius=40, fill=(40, 70, 140))
    return image.filter(ImageFilter.GaussianBlur(1))


def test_vectorize_like_the_spec_example(client: openai.OpenAI, server: Server, token: str) -> None:
    before = server.balance(token)
    result = tool(client, "/images/vectorize", {"file": encode(logo())})
    assert result["credits"] == 10 and server.balance(token) == before - 10
    svg = fetched(result)
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)
    assert (root.get("width"), root.get("height")) == ("320", "256")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) >= 2


def test_vectorize_options(http: httpx.Client) -> None:
    response = http.post(
        "/v1/images/vectorize",
        data={
            "color_reduction": "2",
            "filter_speckle": "8",
            "stacking": "cutout",
            "response_format": "b64_json",
        },
        files={"file": ("logo.png", encode(logo()))},
    )
    assert response.status_code == 200, response.text
    svg = base64.b64decode(response.json()["image"]["b64_json"]).decode()
    fills = {p.get("fill") for p in ET.fromstring(svg).iter() if p.get("fill")}
    assert 1 <= len(fills) <= 2


def test_remove_background_gives_transparent_corners_and_an_opaque_subject(
    client: openai.OpenAI, server: Server, token: str
) -> None:
    before = server.balance(token)
    result = tool(client, "/images/removeBackground", {"file": encode(subject_on_background())},
                  {"response_format": "b64_json"})  # fmt: skip
    assert result["credits"] == 10 and server.balance(token) == before - 10
    image = Image.open(io.BytesIO(base64.b64decode(result["image"]["b64_json"])))
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (640, 480)
    alpha = image.getchannel("A")
    for corner in [(3, 3), (636, 3), (3, 476), (636, 476)]:
        assert alpha.getpixel(corner) < 16, corner  # type: ignore[operator]
    assert alpha.getpixel((320, 330)) > 240  # type: ignore[operator]


def test_crisp_upscale_accepts_small_images(client: openai.OpenAI) -> None:
    source = logo((48, 40))
    result = tool(client, "/images/crispUpscale", {"file": encode(source)})
    assert result["credits"] == 4
    image = Image.open(io.BytesIO(fetched(result).content))
    assert image.width > 48 and image.width * 40 == image.height * 48
    assert image.width % 48 == 0


def test_creative_upscale(client: openai.OpenAI) -> None:
    source = logo((256, 256))
    result = tool(client, "/images/creativeUpscale", {"file": encode(source)})
    assert result["credits"] == 250
    image = Image.open(io.BytesIO(fetched(result).content)).convert("RGB")
    assert image.size[0] >= 512 and image.size[0] == image.size[1]
    small = image.resize((256, 256))
    assert ImageChops.difference(small, source).convert("L").getextrema()[1] < 140


def test_erase_region_fills_from_the_surroundings_and_keeps_the_rest(client: openai.OpenAI) -> None:
    source = Image.new("RGB", (200, 160), (30, 60, 200))
    ImageDraw.Draw(source).rectangle((80, 60, 120, 100), fill=(230, 20, 20))
    mask = square_mask(source.size, (76, 56, 124, 104))
    result = tool(client, "/images/eraseRegion", {"image": encode(source), "mask": encode(mask)})
    assert result["credits"] == 2
    out = Image.open(io.BytesIO(fetched(result).content)).convert("RGB")
    assert out.size == source.size
    r, g, b = out.getpixel((100, 80))  # type: ignore[misc]
    assert b > 150 and r < 100
    diff = ImageChops.difference(out, source)
    outside = ImageChops.composite(Image.new("RGB", source.size), diff, mask)
    assert outside.getbbox() is None


BAD_TOOLS = [
    ("/v1/images/vectorize", {"file": encode(logo((255, 300)))}, "file", "256"),
    ("/v1/images/crispUpscale", {"file": encode(logo((31, 300)))}, "file", "32"),
    ("/v1/images/crispUpscale", {"file": encode(Image.new("RGB", (2100, 2000)))}, "file", "4,000,000"),
    ("/v1/images/eraseRegion", {"image": encode(Image.new("RGB", (2100, 2000))), "mask": encode(Image.new("L", (2100, 2000)))}, "image", "4,000,000"),
    ("/v1/images/eraseRegion", {"image": encode(logo())}, "mask", "required"),
    ("/v1/images/eraseRegion", {"image": encode(logo()), "mask": encode(Image.new("L", (320, 256), 7))}, "mask", "pure black"),
    ("/v1/images/removeBackground", {}, "file", "required"),
    ("/v1/images/removeBackground", {"file": b"not an image"}, "file", "PNG, JPG or WEBP"),
    ("/v1/images/creativeUpscale", {"file": encode(logo()), "mask": encode(logo())}, "mask", "unexpected"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "files", "param", "hint"), BAD_TOOLS)
def test_bad_tool_inputs_are_400_and_charge_nothing(
    http: httpx.Client,
    server: Server,
    token: str,
    path: str,
    files: dict[str, bytes],
    param: str,
    hint: str,
) -> None:
    before = server.balance(token)
    parts = {name: (f"{name}.png", content) for name, content in files.items()}
    response = http.post(path, files=parts or None, data={"response_format": "url"})
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["param"], hint in str(error["message"])) == (param, True), error
    assert server.balance(token) == before
