"""The re-sellers' dialects of POST /v1/images/generations (in process), and real third-party
clients (the OpenAI SDK, LiteLLM) against the live server."""

from __future__ import annotations

import base64
import io
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest
from PIL import Image, ImageChops, ImageDraw

from tests.conftest import (
    InProcess,
    Server,
    assert_rejected,
    encode,
    error_of,
    fetch,
    free_port,
    in_process_app,
    photo,
)


def generate(server: Server | InProcess, token: str, body: dict[str, object]) -> httpx.Response:
    return server.http(token).post("/v1/images/generations", json=body)


# --- AI/ML API -------------------------------------------------------------------------------


def test_aimlapi_quick_example(in_process: InProcess, local_token: str) -> None:
    response = generate(
        in_process, local_token, {"prompt": "A T-Rex relaxing on a beach", "model": "recraft-v3"}
    )
    assert response.status_code == 201, response.text
    (image,) = response.json()["images"]
    assert set(image) == {"url", "content_type", "file_name", "file_size"}
    served = fetch(image["url"])
    assert served.headers["content-type"] == image["content_type"] == "image/webp"
    assert image["file_size"] == len(served.content)
    assert image["file_name"].endswith(".webp")
    assert Image.open(io.BytesIO(served.content)).size == (1024, 1024)
    assert in_process.balance(local_token) == 1_000_000 - 40


@pytest.mark.parametrize(
    ("image_size", "expected"),
    [
        ("square_hd", (1024, 1024)),
        ("square", (1024, 1024)),
        ("portrait_4_3", (1024, 1365)),
        ("portrait_16_9", (1024, 1820)),
        ("landscape_4_3", (1365, 1024)),
        ("landscape_16_9", (1820, 1024)),
        ({"width": 1000, "height": 500}, (2048, 1024)),
        ({"width": 1300, "height": 1000}, (1365, 1024)),
        ({"width": 800, "height": 1000}, (1024, 1280)),
    ],
)
def test_aimlapi_image_sizes(
    in_process: InProcess, local_token: str, image_size: object, expected: tuple[int, int]
) -> None:
    body = {"prompt": "x", "model": "recraft-v3", "image_size": image_size}
    image = generate(in_process, local_token, body).json()["images"][0]
    assert Image.open(io.BytesIO(fetch(image["url"]).content)).size == expected


def test_aimlapi_style_substyle_colors_and_num_images(
    in_process: InProcess, local_token: str
) -> None:
    response = generate(in_process, local_token, {
        "prompt": "x", "model": "recraft-v3", "num_images": 2,
        "style": "digital_illustration/2d_art_poster", "colors": [{"r": 0, "g": 200, "b": 0}],
    })  # fmt: skip
    assert response.status_code == 201, response.text
    assert len(response.json()["images"]) == 2
    assert in_process.balance(local_token) == 1_000_000 - 80
    vector = generate(
        in_process,
        local_token,
        {"prompt": "x", "model": "recraft-v3", "style": "vector_illustration"},
    )
    image = vector.json()["images"][0]
    assert image["content_type"] == "image/svg+xml" and image["file_name"].endswith(".svg")
    assert fetch(image["url"]).headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize(
    ("body", "param", "hint"),
    [
        ({"prompt": "é" * 600, "model": "recraft-v3"}, "prompt", "4000 characters"),
        ({"prompt": "x", "model": "recraft-v3", "n": 2}, "n", "accepted bodies"),
        ({"prompt": "x", "model": "recraft-v3", "size": "1024x1024"}, "size", "accepted bodies"),
        ({"prompt": "x", "image_size": "square_hd"}, "image_size", "accepted bodies"),
        ({"prompt": "x", "model": "recraftv3", "num_images": 2}, "num_images", "accepted bodies"),
        ({"prompt": "x", "model": "dall-e-3"}, "model", "accepted bodies"),
        ({"prompt": "x", "model": "recraft-v3", "image_size": "huge"}, "image_size", "square_hd"),
        (
            {"prompt": "x", "model": "recraft-v3", "style": "realistic_image/kawaii"},
            "substyle",
            "kawaii",
        ),
        (
            {"prompt": "x", "model": "recraft-v3", "colors": [{"r": 300, "g": 0, "b": 0}]},
            "colors[0].r",
            "255",
        ),
    ],
)
def test_dialect_errors_name_the_field_and_the_accepted_forms(
    in_process: InProcess, local_token: str, body: dict[str, object], param: str, hint: str
) -> None:
    assert_rejected(generate(in_process, local_token, body), param, hint)
    assert in_process.balance(local_token) == 1_000_000


def test_non_object_body_names_the_accepted_forms(in_process: InProcess, local_token: str) -> None:
    response = generate(in_process, local_token, ["prompt"])  # type: ignore[arg-type]
    assert response.status_code == 400


# --- DALL-E format ---------------------------------------------------------------------------


def test_dalle_format_example_and_its_extra_sizes(in_process: InProcess, local_token: str) -> None:
    body = {
        "model": "recraftv3",
        "prompt": "woman wear glasses",
        "size": "1024x512",
        "response_format": "url",
    }
    response = generate(in_process, local_token, body)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["created"], int)
    url = response.json()["data"][0]["url"]
    assert Image.open(io.BytesIO(fetch(url).content)).size == (1024, 512)
    b64 = generate(
        in_process, local_token, {**body, "size": "1366x768", "response_format": "b64_json"}
    )
    data = base64.b64decode(b64.json()["data"][0]["b64_json"])
    assert Image.open(io.BytesIO(data)).size == (1366, 768)
    # The extra sizes belong to the DALL-E format only; a Recraft body does not take them.
    recraft = generate(in_process, local_token, {**body, "style": "digital_illustration"})
    assert recraft.status_code == 400 and error_of(recraft)["param"] == "size"


def red_square_png() -> bytes:
    image = Image.new("RGB", (512, 512), (220, 20, 20))
    ImageDraw.Draw(image).rectangle((200, 200, 311, 311), fill=(20, 20, 220))
    return encode(image)


class _ImageHost(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = red_square_png() if self.path == "/cat.png" else b"not here"
        self.send_response(200 if self.path == "/cat.png" else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    host = ThreadingHTTPServer(("127.0.0.1", free_port()), _ImageHost)
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{host.server_address[1]}"
    host.shutdown()


@pytest.fixture(scope="module")
def fetching_server(
    image_host: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcess]:
    data_dir = tmp_path_factory.mktemp("fetching") / "data"
    with in_process_app(data_dir, image_fetch_allowed_hosts=[image_host]) as app:
        yield app


def test_image_url_in_a_dalle_prompt_makes_it_image_to_image(
    fetching_server: InProcess, image_host: str
) -> None:
    token, _ = fetching_server.create_user(credits=1000)
    body = {"model": "recraftv3", "prompt": f"make it winter http://{image_host}/cat.png",
            "size": "1024x1024", "response_format": "b64_json"}  # fmt: skip
    response = generate(fetching_server, token, body)
    assert response.status_code == 200, response.text
    out = Image.open(io.BytesIO(base64.b64decode(response.json()["data"][0]["b64_json"])))
    assert out.size == (1024, 1024)
    # Half of the source survives: the left edge is still reddish, the centre still bluish.
    r, g, b = out.convert("RGB").getpixel((20, 512))  # type: ignore[misc]
    assert r > 110 and r > b
    r, g, b = out.convert("RGB").getpixel((512, 512))  # type: ignore[misc]
    assert b > 110 and b > r
    assert fetching_server.balance(token) == 1000 - 40


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://10.0.0.1/cat.png", "image_url_refused"),
        ("http://169.254.169.254/latest/meta-data", "image_url_refused"),
        ("http://127.0.0.1:1/cat.png", "image_url_refused"),
        ("ftp://{host}/cat.png", None),
        ("http://{host}/missing.png", "image_url_unreadable"),
    ],
)
def test_image_urls_that_may_not_or_cannot_be_fetched(
    fetching_server: InProcess, image_host: str, url: str, code: str | None
) -> None:
    token, _ = fetching_server.create_user(credits=1000)
    prompt = "make it winter " + url.format(host=image_host)
    response = generate(fetching_server, token, {"model": "recraftv3", "prompt": prompt})
    if code is None:  # not an local(s) URL: no image-to-image, just text
        assert response.status_code == 200
        return
    assert response.status_code in (400, 422), response.text
    assert error_of(response)["code"] == code
    assert fetching_server.balance(token) == 1000


# --- OpenAI-native routes and third-party clients --------------------------------------------


def test_openai_sdk_images_edit_with_an_openai_mask(client: openai.OpenAI) -> None:
    source = Image.new("RGB", (512, 512), (40, 120, 200))
    mask = Image.new("RGBA", (512, 512), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((0, 0, 255, 255), fill=(0, 0, 0, 0))  # transparent: edit here
    response = client.images.edit(
        image=("image.png", encode(source), "image/png"),
        mask=("mask.png", encode(mask), "image/png"),
        prompt="a sun",
        response_format="b64_json",
    )
    out = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json or ""))).convert("RGB")
    diff = ImageChops.difference(out, source).getbbox()
    assert diff is not None and diff[2] <= 256 and diff[3] <= 256


def palette_mask(size: tuple[int, int], transparent: bool) -> bytes:
    """A palette ("P") PNG, black with a white top-left quarter; index 1 transparent if asked."""
    mask = Image.new("P", size, 0)
    mask.putpalette([0, 0, 0, 255, 255, 255])
    ImageDraw.Draw(mask).rectangle((0, 0, size[0] // 2 - 1, size[1] // 2 - 1), fill=1)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG", **({"transparency": 1} if transparent else {}))
    return buffer.getvalue()


def test_openai_sdk_images_edit_with_palette_masks(
    client: openai.OpenAI, server: Server, token: str
) -> None:
    source = Image.new("RGB", (512, 512), (40, 120, 200))
    image = ("image.png", encode(source), "image/png")
    response = client.images.edit(
        image=image, mask=("m.png", palette_mask((512, 512), True), "image/png"),
        prompt="a sun", response_format="b64_json",
    )  # fmt: skip
    out = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json or ""))).convert("RGB")
    diff = ImageChops.difference(out, source).getbbox()
    assert diff is not None and diff[2] <= 256 and diff[3] <= 256
    # Without transparency it is no OpenAI mask, nor a grayscale Recraft one: refused, free.
    before = server.balance(token)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            image=image, mask=("m.png", palette_mask((512, 512), False), "image/png"), prompt="x"
        )
    assert "grayscale" in str(caught.value)
    assert server.balance(token) == before


def test_openai_sdk_images_edit_without_mask_is_image_to_image(client: openai.OpenAI) -> None:
    source = Image.new("RGB", (512, 384), (40, 120, 200))
    response = client.images.edit(image=("i.png", encode(source), "image/png"), prompt="winter")
    out = Image.open(io.BytesIO(fetch(response.data[0].url or "").content))
    assert out.size == (512, 384)
    assert (response.model_extra or {})["credits"] == 40


def test_openai_sdk_create_variation(client: openai.OpenAI) -> None:
    source = encode(Image.new("RGB", (512, 512), (200, 120, 40)))
    response = client.images.create_variation(
        image=("i.png", source, "image/png"), n=2, size="1024x1024"
    )
    assert len(response.data) == 2 and response.data[0].url != response.data[1].url
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(image=("i.png", source, "image/png"), size="256x256")
    assert "1024x1024" in str(caught.value)


def test_models_list_names_the_engine(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"recraftv3", "recraftv2", "recraft-v3"} <= set(models)
    assert (models["recraftv3"].model_extra or {})["engine"] == "preview"


def test_litellm_recraft_provider(server: Server, token: str) -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no network at import
    import litellm

    response = litellm.image_generation(
        model="recraft/recraftv3", prompt="a lighthouse", api_base=server.url, api_key=token
    )
    url = response.data[0].url
    assert url and url.startswith(server.url)
    assert fetch(url).headers["content-type"] == "image/png"
    styled = litellm.image_generation(
        model="recraft/recraftv3", prompt="a fox", api_base=server.url, api_key=token,
        style="vector_illustration", n=2,
    )  # fmt: skip
    assert len(styled.data) == 2
    assert fetch(styled.data[0].url).headers["content-type"] == "image/svg+xml"


def test_litellm_image_edit_goes_to_image_to_image(server: Server, token: str) -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    before = server.balance(token)
    response = litellm.image_edit(
        model="recraft/recraftv4_1", image=io.BytesIO(encode(photo())), prompt="a red disc",
        api_base=server.url, api_key=token,
    )  # fmt: skip
    url = response.data[0].url
    assert url and fetch(url).headers["content-type"] == "image/png"
    assert server.balance(token) == before - 40  # imageToImage's price
