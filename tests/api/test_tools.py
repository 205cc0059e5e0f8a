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

from tests.conftest import (
    InProcess,
    Server,
    encode,
    fetch,
    logo,
    sdk_multipart,
    square_mask,
)


def tool(
    client: openai.OpenAI,
    path: str,
    files: dict[str, object],
    body: dict[str, object] | None = None,
) -> dict[str, Any]:
    result = sdk_multipart(client, path, files, body)
    assert set(result) == {"created", "credits", "image"}
    return result


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
    svg = fetch(result["image"]["url"])
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


def _vectorized(http: httpx.Client, image: Image.Image, **options: object) -> str:
    response = http.post(
        "/v1/images/vectorize",
        data={**{k: str(v) for k, v in options.items()}, "response_format": "b64_json"},
        files={"image": ("i.png", encode(image))},
    )
    assert response.status_code == 200, response.text
    return base64.b64decode(response.json()["image"]["b64_json"]).decode()


def _paths(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}path"))


def test_vectorize_recraft_options(http: httpx.Client) -> None:
    busy = logo((320, 256))
    ImageDraw.Draw(busy).ellipse((10, 10, 30, 30), fill=(0, 160, 0))
    ImageDraw.Draw(busy).rectangle((280, 10, 300, 30), fill=(250, 200, 0))
    plain = _vectorized(http, busy)
    assert len(_paths(plain)) > 3
    capped = _vectorized(http, busy, limit_num_shapes="on", max_num_shapes=3)
    assert 1 <= len(_paths(capped)) <= 3
    compressed = _vectorized(http, busy, svg_compression="on")
    assert len(compressed) < len(plain) and "\n" not in compressed.strip()
    assert ET.fromstring(compressed).get("viewBox") == "0 0 320 256"
    strict = _vectorized(http, busy, strict_color_palette="[[255, 255, 255], [0, 0, 0]]")
    assert {p.get("fill") for p in _paths(strict)} <= {"#ffffff", "#000000"}
    shaded = Image.linear_gradient("L").resize((256, 256)).convert("RGB")
    with_gradients = _vectorized(http, shaded, return_gradients="on")
    assert "linearGradient" in with_gradients and "linearGradient" not in plain
    cut = _vectorized(http, busy, shape_stacking="cut_out")
    assert cut != plain
    assert _vectorized(http, busy, color_reduction="on", small_shape_filter="off")


@pytest.mark.parametrize(
    ("fields", "param", "hint"),
    [
        ({"limit_num_shapes": "on"}, "max_num_shapes", "required"),
        ({"shape_stacking": "cut_out", "stacking": "stacked"}, "stacking", "disagree"),
        ({"svg_compression": "yes"}, "svg_compression", "'on' or 'off'"),
        ({"color_reduction": "1"}, "color_reduction", "'on' or 'off'"),
        ({"strict_color_palette": "[[1, 2]]"}, "strict_color_palette[0]", "at least 3"),
    ],
)
def test_vectorize_bad_options(
    http: httpx.Client, fields: dict[str, str], param: str, hint: str
) -> None:
    response = http.post(
        "/v1/images/vectorize", data=fields, files={"image": ("i.png", encode(logo()))}
    )
    assert response.status_code == 400, response.text
    assert response.json()["param"] == param and hint in response.json()["message"], response.json()


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
    image = Image.open(io.BytesIO(fetch(result["image"]["url"]).content))
    assert image.width > 48 and image.width * 40 == image.height * 48
    assert image.width % 48 == 0


def test_creative_upscale(in_process: InProcess) -> None:
    token = in_process.create_user()[0]
    source = logo((256, 256))
    response = in_process.http(token).post(
        "/v1/images/creativeUpscale", files={"file": ("l.png", encode(source))}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"created", "credits", "image"} and result["credits"] == 250
    image = Image.open(io.BytesIO(fetch(result["image"]["url"]).content)).convert("RGB")
    assert image.size[0] >= 512 and image.size[0] == image.size[1]
    small = image.resize((256, 256))
    assert ImageChops.difference(small, source).convert("L").getextrema()[1] < 140


@pytest.mark.parametrize("path", ["/v1/images/clarityUpscale", "/v1/images/generativeUpscale"])
def test_the_deprecated_upscales_run_the_creative_upscaler(
    in_process: InProcess, path: str
) -> None:
    token = in_process.create_user(credits=1000)[0]
    response = in_process.http(token).post(
        path,
        files={"image": ("l.png", encode(logo((256, 256))))},
        data={"response_format": "b64_json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == 250 and in_process.balance(token) == 750
    image = Image.open(io.BytesIO(base64.b64decode(response.json()["image"]["b64_json"])))
    assert image.size == (1024, 1024)


def test_erase_region_fills_from_the_surroundings_and_keeps_the_rest(client: openai.OpenAI) -> None:
    source = Image.new("RGB", (200, 160), (30, 60, 200))
    ImageDraw.Draw(source).rectangle((80, 60, 120, 100), fill=(230, 20, 20))
    mask = square_mask(source.size, (76, 56, 124, 104))
    result = tool(client, "/images/eraseRegion", {"image": encode(source), "mask": encode(mask)})
    assert result["credits"] == 2
    out = Image.open(io.BytesIO(fetch(result["image"]["url"]).content)).convert("RGB")
    assert out.size == source.size
    r, g, b = out.getpixel((100, 80))  # type: ignore[misc]
    assert b > 150 and r < 100
    diff = ImageChops.difference(out, source)
    outside = ImageChops.composite(Image.new("RGB", source.size), diff, mask)
    assert outside.getbbox() is None
