"""The generative edits as the spec's examples send them: through the OpenAI SDK to the live
server, the rest in process."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import httpx
import openai
import pytest
from PIL import Image, ImageChops, ImageDraw

from tests.conftest import Server, decoded, encode, fetch, photo, sdk_multipart, square_mask


def test_image_to_image_like_the_spec_example(
    client: openai.OpenAI, server: Server, token: str
) -> None:
    source = photo()
    before = server.balance(token)
    result = sdk_multipart(
        client, "/images/imageToImage",
        files={"image": encode(source)},
        body={"prompt": "winter", "strength": 0.2, "style": "digital_illustration"},
    )  # fmt: skip
    assert result["credits"] == 40 and server.balance(token) == before - 40
    out = decoded(result["data"][0])
    assert out.size == source.size
    assert ImageChops.difference(out, source).getbbox() is not None

    same = sdk_multipart(client, "/images/imageToImage", files={"image": encode(source)},
                body={"prompt": "winter", "strength": 0, "response_format": "b64_json"})  # fmt: skip
    assert ImageChops.difference(decoded(same["data"][0]), source).getbbox() is None


@pytest.mark.parametrize("endpoint", ["/images/inpaint", "/images/generateBackground"])
def test_masked_edits_change_only_the_mask(client: openai.OpenAI, endpoint: str) -> None:
    source = photo()
    mask = square_mask(source.size, (20, 20, 99, 99))
    result = sdk_multipart(
        client, endpoint,
        files={"image": encode(source), "mask": encode(mask)},
        body={"prompt": "moon", "style": "digital_illustration", "n": 2,
              "response_format": "b64_json", "controls": {"colors": [{"rgb": [0, 255, 0]}]}},
    )  # fmt: skip
    assert result["credits"] == 80 and len(result["data"]) == 2
    for item in result["data"]:
        out = decoded(item)
        diff = ImageChops.difference(out, source)
        assert diff.getbbox() is not None
        assert (
            ImageChops.composite(diff, Image.new("RGB", source.size), mask).getbbox()
            == diff.getbbox()
        )
        inverse = mask.point(lambda v: 255 - v)
        assert ImageChops.composite(diff, Image.new("RGB", source.size), inverse).getbbox() is None


def test_vector_style_edit_gives_svg_at_the_vector_price(local: httpx.Client) -> None:
    source = photo()
    response = local.post(
        "/v1/images/inpaint",
        data={"prompt": "moon", "style": "vector_illustration"},
        files={
            "image": ("i.png", encode(source)),
            "mask": ("m.png", encode(square_mask(source.size, (0, 0, 50, 50)))),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == 80
    svg = fetch(response.json()["data"][0]["url"])
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)
    assert (root.get("width"), root.get("height")) == ("320", "256")


def test_vector_style_edit_keeps_to_the_colors_asked_for(local: httpx.Client) -> None:
    palette = ["#c81e1e", "#1e1ec8", "#f0f0f0"]
    controls = {"colors": [{"rgb": [int(c[i : i + 2], 16) for i in (1, 3, 5)]} for c in palette]}
    response = local.post(
        "/v1/images/imageToImage",
        data={"prompt": "moon", "style": "vector_illustration", "strength": "0.5",
              "controls": json.dumps(controls)},
        files={"image": ("i.png", encode(photo()))},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    fills = set(re.findall(r'fill="(#[0-9a-f]{6})"', fetch(response.json()["data"][0]["url"]).text))
    assert fills and fills <= set(palette)


def test_replace_background_keeps_the_subject(client: openai.OpenAI) -> None:
    source = Image.new("RGB", (512, 512), (235, 235, 240))
    ImageDraw.Draw(source).ellipse((156, 156, 356, 356), fill=(30, 90, 200))
    result = sdk_multipart(client, "/images/replaceBackground", files={"image": encode(source)},
                  body={"prompt": "a beach", "response_format": "b64_json"})  # fmt: skip
    out = decoded(result["data"][0])
    centre = out.getpixel((256, 256))
    assert isinstance(centre, tuple)
    assert max(abs(a - b) for a, b in zip(centre, (30, 90, 200), strict=True)) < 12
    corner = out.getpixel((5, 5))
    assert corner != (235, 235, 240)
    assert result["credits"] == 40


def test_variate_image_like_the_spec_curl_example(local: httpx.Client) -> None:
    def variate(seed: int) -> httpx.Response:
        response = local.post(
            "/v1/images/variateImage",
            data={
                "response_format": "url",
                "size": "1024x1024",
                "n": "1",
                "seed": str(seed),
                "image_format": "webp",
            },
            files={"file": ("image.png", encode(photo()), "image/png")},
        )
        assert response.status_code == 200, response.text
        return response

    first = variate(13191922)
    image = fetch(first.json()["data"][0]["url"])
    assert image.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)
    assert first.json()["credits"] == 40
    again = fetch(variate(13191922).json()["data"][0]["url"]).content
    other = fetch(variate(7).json()["data"][0]["url"]).content
    assert again == image.content and other != image.content


def test_nested_fields_as_json_string_and_json_part(local: httpx.Client) -> None:
    source, mask = photo(), square_mask((320, 256), (0, 0, 319, 255))
    green = json.dumps({"colors": [{"rgb": [0, 255, 0]}], "background_color": {"rgb": [0, 255, 0]}})
    for files in (
        {"image": ("i.png", encode(source)), "mask": ("m.png", encode(mask))},
        {
            "image": ("i.png", encode(source)),
            "mask": ("m.png", encode(mask)),
            "controls": ("c.json", green, "application/json"),
        },
    ):
        data = {"prompt": "x", "style": "digital_illustration", "response_format": "b64_json"}
        if "controls" not in files:
            data["controls"] = green
        response = local.post("/v1/images/inpaint", data=data, files=files)
        assert response.status_code == 200, response.text
        out = decoded(response.json()["data"][0])
        assert out.getpixel((2, 2)) == (0, 255, 0)
