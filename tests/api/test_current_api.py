"""Recraft's current API: V4 model ids, sizes as aspect ratios, forced raster/vector output,
outpaint, explore, JSON bodies with image URLs, and the delivery options (expire, upscale,
calculate_features, block_nsfw, revised_prompt). In process; the OpenAI SDK's fields go to the
live server."""

from __future__ import annotations

import base64
import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI
from PIL import Image, ImageChops

from tests.conftest import (
    InProcess,
    assert_rejected,
    decoded,
    encode,
    error_of,
    fetch,
    in_process_app,
    logo,
    photo,
    square_mask,
)


def data_url(image: Image.Image, fmt: str = "PNG") -> str:
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(encode(image, fmt)).decode()}"


def balance(client: httpx.Client) -> int:
    return int(client.get("/v1/users/me").json()["credits"])


def generate(http: httpx.Client, path: str = "/v1/images/generations", **body: Any) -> Any:
    response = http.post(path, json={"prompt": "a lighthouse", **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_models_list_in_recrafts_shape(local: httpx.Client) -> None:
    rows = {row["id"]: row for row in local.get("/v1/models").json()["data"]}
    for model_id in ("recraftv4_1", "recraftv4_1_pro_vector", "recraftv3", "recraft20b", "refm1"):
        row = rows[model_id]
        assert {"id", "name", "created", "input_modalities", "output_modalities", "pricing"} <= set(
            row
        )
        assert row["output_modalities"] == ["image"] and row["engine"] == "preview"
    assert rows["recraftv4_1"]["pricing"]["image"] == "0.035"
    assert rows["recraftv4_pro_vector"]["pricing"]["image"] == "0.3"
    assert rows["recraftv3"]["pricing"]["image"] == "0.04"
    assert "flux1dev" not in rows  # other vendors' models are not served by the preview engine


@pytest.mark.parametrize(
    ("model", "size", "expected", "credits"),
    [
        ("recraftv4_1", "16:9", (1344, 768), 35),
        ("recraftv4_1", None, (1024, 1024), 35),
        ("recraftv3", "16:9", (1820, 1024), 40),
        ("recraftv4_pro", "1:1", (2048, 2048), 250),
        ("recraftv4_1_utility", "1216x896", (1216, 896), 35),
        ("recraft20b", "3:2", (1536, 1024), 22),
    ],
)
def test_v4_models_sizes_and_prices(
    local: httpx.Client, model: str, size: str | None, expected: tuple[int, int], credits: int
) -> None:
    body = {"model": model, "response_format": "b64_json", **({"size": size} if size else {})}
    result = generate(local, **body)
    assert result["credits"] == credits
    assert decoded(result["data"][0]).size == expected


def test_forced_output_endpoints(local: httpx.Client) -> None:
    vector = generate(local, "/v1/images/generations/vector", model="recraftv4_1")
    assert vector["credits"] == 80
    svg = fetch(vector["data"][0]["url"])
    assert svg.headers["content-type"] == "image/svg+xml"
    ET.fromstring(svg.content)
    assert (
        generate(local, model="recraftv4_1_vector")["data"][0]["url"].split("?")[0].endswith(".svg")
    )
    raster = generate(local, "/v1/images/generations/raster", model="recraftv3")
    assert raster["credits"] == 40 and ".png?" in raster["data"][0]["url"]
    assert_rejected(
        local.post(
            "/v1/images/generations/raster",
            json={"prompt": "x", "style": "vector_illustration"},
        ),
        "style",
        "raster",
    )
    forced = generate(local, "/v1/images/generations/raster", model="recraftv4_1_vector")
    assert forced["credits"] == 35 and ".png?" in forced["data"][0]["url"]


@pytest.mark.parametrize(
    ("body", "param", "hint"),
    [
        ({"model": "flux1dev"}, "model", "another vendor"),
        ({"model": "recraftv9"}, "model", "unknown"),
        ({"model": "recraftv4_1", "size": "2048x2048"}, "size", "1344x768"),
        ({"model": "recraftv4_pro", "size": "1024x1024"}, "size", "2048x2048"),
        ({"model": "recraftv3", "size": "7:3"}, "size", "16:9"),
        ({"model": "recraftv4_styles"}, "style_id", "style"),
        (
            {
                "model": "recraftv2",
                "text_layout": [{"text": "HI", "bbox": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
            },
            "text_layout",
            "recraftv2",
        ),  # noqa: E501
        ({"stream": True}, "stream", "stream"),
        ({"output_format": "jpeg"}, "output_format", "png or webp"),
        ({"creativity": "wild"}, "creativity", "eccentric"),
        ({"upscale": "upscale8mp"}, "upscale", "upscale16mp"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_bad_generation_fields(
    local: httpx.Client, body: dict[str, Any], param: str, hint: str
) -> None:
    before = balance(local)
    assert_rejected(local.post("/v1/images/generations", json={"prompt": "x", **body}), param, hint)
    assert balance(local) == before


def test_v4_prompts_may_be_long(local: httpx.Client) -> None:
    generate(local, prompt="a fox " * 1000, model="recraftv4_1")  # 6,000 bytes
    assert_rejected(
        local.post("/v1/images/generations", json={"prompt": "a fox " * 1000}), "prompt", "1000"
    )


def test_openai_sdk_fields_are_accepted(client: OpenAI) -> None:
    response = client.images.generate(
        prompt="a lighthouse", model="recraftv4_1", quality="standard", size="1024x1024", n=1,
        style="vivid",
    )  # fmt: skip
    assert response.data and response.data[0].url
    assert response.data[0].revised_prompt == "a lighthouse"


def test_form_generation_body(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/generations",
        data={"prompt": "a fox", "model": "recraftv4_1", "size": "1:1", "n": "2"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == 70 and len(response.json()["data"]) == 2


def test_expire_false_keeps_the_image(local: httpx.Client) -> None:
    def expires(result: dict[str, Any]) -> int:
        return int(result["data"][0]["url"].split("expires=")[1].split("&")[0])

    kept = generate(local, expire=False)
    assert expires(kept) > time.time() + 100 * 365 * 86400
    fetch(kept["data"][0]["url"])
    normal = generate(local, expire=True)
    assert expires(normal) <= time.time() + 86400 + 5


def test_calculate_features_scores_each_image(local: httpx.Client) -> None:
    result = generate(local, calculate_features=True, n=2, block_nsfw=True)
    scores = [item["features"]["nsfw_score"] for item in result["data"]]
    assert all(0 <= s < 0.8 for s in scores)
    plain = generate(local)
    assert "features" not in plain["data"][0]


def test_block_nsfw_refuses_and_charges_nothing(tmp_path: Path) -> None:
    # A threshold no image stays under stands in for an NSFW result: the path is the same.
    with in_process_app(tmp_path / "data", nsfw_threshold=1e-30) as strict:
        token = strict.create_user(credits=1000)[0]
        with strict.http(token) as http:
            body = {"prompt": "x", "block_nsfw": True, "random_seed": 1}
            response = http.post("/v1/images/generations", json=body)
            assert response.status_code == 422 and error_of(response)["code"] == "nsfw_blocked"
            assert strict.balance(token) == 1000
            assert generate(http)["credits"] == 40  # without block_nsfw it is delivered


def test_upscale_option_runs_the_upscaler_and_is_priced(in_process: InProcess) -> None:
    with in_process.http(in_process.create_user()[0]) as http:
        result = generate(http, upscale="upscale4mp", response_format="b64_json")
    assert result["credits"] == 40 + 4
    assert decoded(result["data"][0]).size == (2048, 2048)


def test_billing_query_is_accepted(local: httpx.Client) -> None:
    for billing in ("api", "subscription"):
        response = local.post(f"/v1/images/generations?billing={billing}", json={"prompt": "x"})
        assert response.status_code == 200, response.text


# -- JSON bodies: image_url / mask_url as data: URLs ------------------------------------------


SOURCE = photo((320, 256))
MASK = square_mask((320, 256), (100, 60, 220, 180))


@pytest.mark.parametrize(
    ("path", "body", "credits"),
    [
        ("/v1/images/imageToImage", {"prompt": "a red disc", "strength": 0.4}, 40),
        ("/v1/images/inpaint", {"prompt": "a blue disc", "mask_url": data_url(MASK)}, 40),
        ("/v1/images/generateBackground", {"prompt": "sky", "mask_url": data_url(MASK)}, 40),
        ("/v1/images/replaceBackground", {"prompt": "a beach"}, 40),
        ("/v1/images/outpaint", {"prompt": "more", "expand_left": 64}, 40),
        ("/v1/images/variateImage", {"size": "1024x1024"}, 40),
        ("/v1/images/vectorize", {}, 10),
        ("/v1/images/removeBackground", {}, 10),
        ("/v1/images/crispUpscale", {}, 4),
        ("/v1/images/eraseRegion", {"mask_url": data_url(MASK)}, 2),
    ],
)
def test_json_bodies_with_data_urls(
    in_process: InProcess,
    local: httpx.Client,
    local_token: str,
    path: str,
    body: dict[str, Any],
    credits: int,
) -> None:
    before = in_process.balance(local_token)
    response = local.post(path, json={"image_url": data_url(SOURCE, "WEBP"), **body})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["credits"] == credits and in_process.balance(local_token) == before - credits
    item = result["image"] if "image" in result else result["data"][0]
    assert fetch(item["url"]).content


@pytest.mark.parametrize(
    ("body", "param", "hint"),
    [
        ({"image_url": "http://127.0.0.1:9/cat.png"}, "image_url", "127.0.0.1"),
        ({"image_url": "ftp://example.com/cat.png"}, "image_url", "http(s)"),
        ({"image_url": "data:image/png;base64,@@@"}, "image_url", "base64"),
        ({"image_url": "data:image/png;base64,aGVsbG8="}, "image_url", "PNG, JPG or WEBP"),
        ({}, "image", "image_url"),
        ({"image_url": data_url(SOURCE), "mask_url": data_url(MASK)}, "mask_url", "Extra"),
    ],
)
def test_bad_image_urls(local: httpx.Client, body: dict[str, Any], param: str, hint: str) -> None:
    before = balance(local)
    response = local.post("/v1/images/removeBackground", json=body)
    assert 400 <= response.status_code < 500, response.text
    error = error_of(response)
    assert error["param"] == param and hint in str(error["message"]), error
    assert balance(local) == before


def test_file_and_url_together_are_refused(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/vectorize",
        data={"image_url": data_url(SOURCE)},
        files={"image": ("a.png", encode(SOURCE))},
    )
    assert_rejected(response, "image_url", "not both")


# -- outpaint ---------------------------------------------------------------------------------


def test_outpaint_keeps_the_original_pixels(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/outpaint",
        data={"prompt": "more sea", "expand_left": "100", "expand_top": "20",
              "response_format": "b64_json"},
        files={"image": ("p.png", encode(SOURCE))},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    out = decoded(response.json()["data"][0])
    assert out.size == (420, 276)
    inner = out.crop((100, 20, 420, 276))
    assert ImageChops.difference(inner, SOURCE).getbbox() is None
    assert ImageChops.difference(out.crop((0, 0, 100, 276)), Image.new("RGB", (100, 276))).getbbox()


@pytest.mark.parametrize(
    ("fields", "size"),
    [({"zoom_out_percentage": "50"}, (480, 384)), ({"size": "1024x1024"}, (1024, 1024))],
)
def test_outpaint_by_zoom_or_size(
    local: httpx.Client, fields: dict[str, str], size: tuple[int, int]
) -> None:
    response = local.post(
        "/v1/images/outpaint",
        data={"prompt": "more", "response_format": "b64_json", **fields},
        files={"image": ("p.png", encode(SOURCE))},
    )
    assert response.status_code == 200, response.text
    assert decoded(response.json()["data"][0]).size == size


@pytest.mark.parametrize(
    ("fields", "param", "hint"),
    [
        ({}, "expand_top", "exactly one"),
        ({"expand_left": "10", "size": "1024x1024"}, "size", "exactly one"),
        ({"expand_left": "4000"}, "expand_top", "4096"),
        ({"size": "256x256"}, "size", "not supported"),
        ({"zoom_out_percentage": "-5"}, "zoom_out_percentage", "greater than 0"),
    ],
)
def test_outpaint_bad_inputs(
    local: httpx.Client, fields: dict[str, str], param: str, hint: str
) -> None:
    response = local.post(
        "/v1/images/outpaint",
        data={"prompt": "more", **fields},
        files={"image": ("p.png", encode(SOURCE))},
    )
    assert_rejected(response, param, hint)


# -- explore ----------------------------------------------------------------------------------


def test_explore_and_explore_similar(in_process: InProcess, local: httpx.Client) -> None:
    explored = generate(local, "/v1/images/explore")
    assert len(explored["data"]) == 4 and explored["credits"] == 160
    urls = {item["url"] for item in explored["data"]}
    assert len({fetch(url).content for url in urls}) == 4  # four different images
    source = explored["data"][0]["image_id"]
    similar = local.post(
        "/v1/images/explore/similar",
        json={"source_image_id": source, "similarity": 5, "response_format": "b64_json"},
    )
    assert similar.status_code == 200, similar.text
    closest = decoded(similar.json()["data"][0])
    loose = decoded(
        local.post(
            "/v1/images/explore/similar",
            json={"source_image_id": source, "similarity": 1, "response_format": "b64_json"},
        ).json()["data"][0]
    )
    original = Image.open(io.BytesIO(fetch(explored["data"][0]["url"]).content)).convert("RGB")

    def distance(image: Image.Image) -> float:
        diff = ImageChops.difference(image, original).convert("L")
        return sum(i * n for i, n in enumerate(diff.histogram())) / (image.width * image.height)

    assert distance(closest) < distance(loose)
    other = in_process.create_user()[0]
    with in_process.http(other) as stranger:
        response = stranger.post(
            "/v1/images/explore/similar", json={"source_image_id": source, "similarity": 3}
        )
    assert response.status_code == 404 and error_of(response)["param"] == "source_image_id"
    assert_rejected(
        local.post("/v1/images/explore/similar", json={"source_image_id": source, "similarity": 6}),
        "similarity",
        "5",
    )


def test_variate_takes_a_model(local: httpx.Client) -> None:
    response = local.post(
        "/v1/images/variateImage",
        data={"size": "1:1", "model": "recraftv4_1", "image_format": "webp"},
        files={"image": ("p.png", encode(logo()))},
    )
    assert response.status_code == 200, response.text
    assert ".webp?" in response.json()["data"][0]["url"]


def test_style_references_make_a_style_inline(
    in_process: InProcess, local: httpx.Client, local_token: str
) -> None:
    before = in_process.balance(local_token)
    response = local.post(
        "/v1/images/generations",
        data={"prompt": "a fox", "response_format": "b64_json"},
        files=[("style_references", ("a.png", encode(logo()))),
               ("style_references", ("b.png", encode(photo())))],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    result = response.json()
    assert (
        result["credits"] == 40 and in_process.balance(local_token) == before - 40
    )  # V4 Styles, once
    style = local.get(f"/v1/styles/{result['style_id']}").json()
    assert style["id"] == result["style_id"] and style["model"] == "recraftv4_styles"
    by_url = generate(
        local, "/v1/images/generations/vector", style_reference_urls=[data_url(logo())]
    )
    assert by_url["style_id"] and by_url["data"][0]["url"].split("?")[0].endswith(".svg")
    assert by_url["credits"] == 80
    assert_rejected(
        local.post(
            "/v1/images/generations",
            json={"prompt": "x", "style": "icon", "style_reference_urls": [data_url(logo())]},
        ),
        "style",
        "leave style",
    )
