"""The generative edits through the live server, as the spec's examples send them."""

from __future__ import annotations

import base64
import io
import json
import xml.etree.ElementTree as ET

import httpx
import openai
import pytest
from PIL import Image, ImageChops, ImageDraw

from tests.conftest import Server, encode, error_of, sdk_multipart


def photo(size: tuple[int, int] = (320, 256)) -> Image.Image:
    """A small scene: a gradient with a disc, so that changes are visible everywhere."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(image).ellipse((100, 60, 220, 180), fill=(200, 40, 40))
    return image


def square_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def decoded(item: dict[str, str]) -> Image.Image:
    if "b64_json" in item:
        return Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))).convert("RGB")
    return Image.open(io.BytesIO(httpx.get(item["url"]).content)).convert("RGB")


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


def test_vector_style_edit_gives_svg_at_the_vector_price(http: httpx.Client) -> None:
    source = photo()
    response = http.post(
        "/v1/images/inpaint",
        data={"prompt": "moon", "style": "vector_illustration"},
        files={
            "image": ("i.png", encode(source)),
            "mask": ("m.png", encode(square_mask(source.size, (0, 0, 50, 50)))),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == 80
    svg = httpx.get(response.json()["data"][0]["url"])
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)
    assert (root.get("width"), root.get("height")) == ("320", "256")


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


def test_variate_image_like_the_spec_curl_example(http: httpx.Client) -> None:
    def variate(seed: int) -> httpx.Response:
        response = http.post(
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
    image = httpx.get(first.json()["data"][0]["url"])
    assert image.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)
    assert first.json()["credits"] == 40
    again = httpx.get(variate(13191922).json()["data"][0]["url"]).content
    other = httpx.get(variate(7).json()["data"][0]["url"]).content
    assert again == image.content and other != image.content


def test_nested_fields_as_json_string_and_json_part(http: httpx.Client) -> None:
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
        response = http.post("/v1/images/inpaint", data=data, files=files)
        assert response.status_code == 200, response.text
        out = decoded(response.json()["data"][0])
        assert out.getpixel((2, 2)) == (0, 255, 0)


def gray(size: tuple[int, int]) -> bytes:
    return encode(Image.new("L", size, 128))


BAD_EDITS = [
    ("/v1/images/imageToImage", {"prompt": "x"}, {"image": encode(photo())}, "strength", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "1.5"}, {"image": encode(photo())}, "strength", "1"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5", "model": "recraftv2"}, {"image": encode(photo())}, "model", "recraftv3"),
    ("/v1/images/imageToImage", {"strength": "0.5"}, {"image": encode(photo())}, "prompt", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {}, "image", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo((200, 300)))}, "image", "256"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo((4100, 300)))}, "image", "4096"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(Image.new("RGB", (4096, 4000)))}, "image", "16,000,000"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo(), "GIF")}, "image", "PNG, JPG or WEBP"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)}, "image", "5 MB"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5", "controls": "{bad"}, {"image": encode(photo())}, "controls", "JSON"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo())}, "mask", "required"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(photo())}, "mask", "grayscale"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": gray((320, 256))}, "mask", "pure black"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(Image.new("L", (300, 256)))}, "mask", "same size"),
    ("/v1/images/inpaint", {"prompt": "x", "style": "icon"}, {"image": encode(photo()), "mask": encode(Image.new("L", (320, 256)))}, "style", "recraftv2"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(Image.new("L", (320, 256))), "extra": b"x"}, "extra", "unexpected"),
    ("/v1/images/variateImage", {}, {"image": encode(photo())}, "size", "required"),
    ("/v1/images/variateImage", {"size": "10x10"}, {"image": encode(photo())}, "size", "1024x1024"),
    ("/v1/images/variateImage", {"size": "1024x1024", "n": "9"}, {"image": encode(photo())}, "n", "6"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "data", "files", "param", "hint"), BAD_EDITS)
def test_bad_edits_are_400_naming_the_field_and_charge_nothing(
    http: httpx.Client,
    server: Server,
    token: str,
    path: str,
    data: dict[str, str],
    files: dict[str, bytes],
    param: str,
    hint: str,
) -> None:
    before = server.balance(token)
    parts = {name: (f"{name}.bin", content) for name, content in files.items()}
    response = http.post(path, data=data, files=parts or None)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param, error
    assert hint in str(error["message"]), error
    assert server.balance(token) == before
