"""POST /v1/images/generations: through the OpenAI SDK to the live server, and its rules in
process."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import httpx
import openai
import pytest
from PIL import Image

from atelier import catalog
from tests.conftest import Server, assert_rejected, error_of, fetch


def test_openai_sdk_generate_returns_a_url_of_a_png(client: openai.OpenAI, server: Server) -> None:
    response = client.images.generate(
        prompt="race car on a track", style="digital_illustration", model="recraftv3"
    )
    assert len(response.data) == 1
    url = response.data[0].url
    assert url and url.startswith(server.url + "/images/")
    image = fetch(url)
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)
    extra = response.model_extra or {}
    assert extra["credits"] == 40
    assert response.data[0].model_extra and response.data[0].model_extra["image_id"]


@pytest.mark.parametrize("size", ["1365x1024", "1024x2048", "1707x1024"])
def test_exact_sizes(client: openai.OpenAI, size: str) -> None:
    response = client.images.generate(
        prompt="red point siamese cat",
        size=size,
        response_format="b64_json",  # type: ignore[arg-type]
    )
    data = base64.b64decode(response.data[0].b64_json or "")
    width, height = map(int, size.split("x"))
    assert Image.open(io.BytesIO(data)).size == (width, height)


def test_n_images_are_all_charged_and_distinct(local: httpx.Client) -> None:
    before = local.get("/v1/users/me").json()["credits"]
    response = local.post(
        "/v1/images/generations",
        json={
            "prompt": "a lighthouse",
            "n": 3,
            "model": "recraftv2",
            "response_format": "b64_json",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credits"] == 3 * 22
    assert len({d["b64_json"] for d in body["data"]}) == 3
    assert len({d["image_id"] for d in body["data"]}) == 3
    assert local.get("/v1/users/me").json()["credits"] == before - 66
    assert isinstance(body["created"], int)


@pytest.mark.parametrize(
    ("payload", "price"),
    [
        ({"style": "vector_illustration"}, 80),
        ({"style": "vector_illustration", "model": "recraftv2", "substyle": "line_art"}, 44),
        ({"style": "icon", "model": "recraftv2"}, 44),
    ],
)
def test_vector_styles_give_svg_at_the_vector_price(
    local: httpx.Client, payload: dict[str, str], price: int
) -> None:
    response = local.post("/v1/images/generations", json={"prompt": "a fox", **payload})
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == price
    image = fetch(response.json()["data"][0]["url"])
    assert image.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(image.content)
    assert root.tag.endswith("svg")
    assert (root.get("width"), root.get("height")) == ("1024", "1024")


def test_webp_when_asked(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/generations",
        json={"prompt": "a fox", "image_format": "webp", "size": "1280x1024"},
    )
    image = fetch(response.json()["data"][0]["url"])
    assert image.headers["content-type"] == "image/webp"
    decoded = Image.open(io.BytesIO(image.content))
    assert (decoded.format, decoded.size) == ("WEBP", (1280, 1024))


def test_same_seed_same_image_other_seed_other_image(local: httpx.Client) -> None:
    def make(seed: int, prompt: str = "mountain lake") -> str:
        response = local.post(
            "/v1/images/generations",
            json={"prompt": prompt, "random_seed": seed, "response_format": "b64_json"},
        )
        return str(response.json()["data"][0]["b64_json"])

    assert make(7) == make(7)
    assert make(7) != make(8)
    assert make(7) != make(7, "desert dunes")


def test_controls_colors_and_background_color_steer_the_image(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/generations",
        json={
            "prompt": "abstract shapes",
            "style": "digital_illustration",
            "response_format": "b64_json",
            "controls": {
                "colors": [{"rgb": [0, 200, 0]}],
                "background_color": {"rgb": [250, 250, 20]},
                "artistic_level": 1,
                "no_text": True,
            },
        },
    )
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(base64.b64decode(response.json()["data"][0]["b64_json"])))
    corner = image.convert("RGB").getpixel((2, 2))
    assert isinstance(corner, tuple)
    assert all(abs(a - b) < 40 for a, b in zip(corner, (250, 250, 20), strict=True)), corner


def test_text_layout_is_accepted_with_the_spec_example(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/generations",
        json={
            "prompt": "cute red panda with a sign",
            "style": "digital_illustration",
            "text_layout": [
                {"text": "Recraft", "bbox": [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]]},
                {"text": "AI", "bbox": [[0.62, 0.45], [0.7, 0.45], [0.7, 0.55], [0.62, 0.55]]},
            ],
        },
    )
    assert response.status_code == 200, response.text


def test_extra_body_parameters_through_the_sdk(client: openai.OpenAI) -> None:
    response = client.images.generate(
        prompt="a monster with lots of hands",
        style="digital_illustration",  # type: ignore[arg-type]
        extra_body={"substyle": "hand_drawn", "controls": {"artistic_level": 5}},
    )
    assert response.data[0].url


BAD_REQUESTS = [
    ({"prompt": "é" * 501}, "prompt", "1000 bytes"),
    ({"prompt": ""}, "prompt", "required"),
    ({}, "prompt", "required"),
    ({"prompt": "x", "n": 0}, "n", "greater than or equal to 1"),
    ({"prompt": "x", "n": 7}, "n", "less than or equal to 6"),
    ({"prompt": "x", "size": "1000x1000"}, "size", "1024x1024"),
    ({"prompt": "x", "size": "big"}, "size", "not supported"),
    ({"prompt": "x", "model": "dall-e-3"}, "model", "recraftv3"),
    ({"prompt": "x", "style": "oil_painting"}, "style", "realistic_image"),
    ({"prompt": "x", "style": "icon"}, "style", "recraftv2"),
    ({"prompt": "x", "style": "any", "model": "recraftv2"}, "style", "recraftv3"),
    (
        {"prompt": "x", "style": "digital_illustration", "substyle": "kawaii"},
        "substyle",
        "only available with model recraftv2",
    ),
    ({"prompt": "x", "style": "realistic_image", "substyle": "nope"}, "substyle", "b_and_w"),
    ({"prompt": "x", "substyle": "hdr"}, "substyle", "needs a style"),
    (
        {"prompt": "x", "style": "realistic_image", "style_id": "0" * 8},
        "style_id",
        "mutually exclusive",
    ),
    ({"prompt": "x", "response_format": "jpeg"}, "response_format", "url"),
    ({"prompt": "x", "image_format": "gif"}, "image_format", "png"),
    ({"prompt": "x", "controls": {"artistic_level": 6}}, "controls.artistic_level", "5"),
    ({"prompt": "x", "controls": {"colors": [{"rgb": [0, 0, 256]}]}}, "controls.colors[0].rgb[2]", "255"),
    ({"prompt": "x", "controls": {"colors": [{"rgb": [0, 0]}]}}, "controls.colors[0].rgb", "3"),
    ({"prompt": "x", "controls": {"colour": 1}}, "controls.colour", "not permitted"),
    ({"prompt": "x", "random_seed": -1}, "random_seed", "greater than or equal to 0"),
    ({"prompt": "x", "image_size": "square"}, "image_size", "recraft-v3"),
    (
        {"prompt": "x", "model": "recraftv2", "text_layout": [{"text": "HI", "bbox": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
        "text_layout",
        "recraftv3",
    ),
    (
        {"prompt": "x", "text_layout": [{"text": "HI", "bbox": [[0, 0], [1, 0], [1, 1]]}]},
        "text_layout[0].bbox",
        "4",
    ),
    (
        {"prompt": "x", "text_layout": [{"text": "HI", "bbox": [[0, 0], [1, 0], [1, 1], [0]]}]},
        "text_layout[0].bbox[3]",
        "2",
    ),
    (
        {"prompt": "x", "text_layout": [{"text": "A=B", "bbox": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
        "text_layout[0].text",
        "'='",
    ),
    (
        {"prompt": "x", "text_layout": [{"text": "TWO WORDS", "bbox": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
        "text_layout[0].text",
        "single word",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "param", "hint"), BAD_REQUESTS)
def test_bad_requests_are_400_with_the_field_and_charge_nothing(
    local: httpx.Client, payload: dict[str, object], param: str, hint: str
) -> None:
    before = local.get("/v1/users/me").json()["credits"]
    assert_rejected(local.post("/v1/images/generations", json=payload), param, hint)
    assert local.get("/v1/users/me").json()["credits"] == before


def test_invalid_json_is_400(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/generations",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_sdk_raises_bad_request_with_our_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="x", size="999x999")  # type: ignore[arg-type]
    assert "size" in str(caught.value)


def test_every_style_and_substyle_of_the_catalog_generates(local: httpx.Client) -> None:
    for style, models in catalog.STYLES.items():
        for column, substyles in models.items():
            # V4 ids say their output themselves; for V2 and V3 the style decides.
            vector_v4 = column == "recraftv4" and style in catalog.VECTOR_STYLES
            model = "recraftv4_vector" if vector_v4 else column
            for substyle in (None, *substyles[:2]):
                payload = {"prompt": "a cat", "style": style, "model": model, "substyle": substyle}
                response = local.post(
                    "/v1/images/generations", json={**payload, "response_format": "b64_json"}
                )
                assert response.status_code == 200, (payload, response.text)
