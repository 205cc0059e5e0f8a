"""Every generative endpoint through the app running the diffusers engine on a tiny, randomly
initialised pipeline built by the test (no weights are downloaded): in process, and the
command line's `models` and `serve` with the engine configured by environment variables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops, ImageDraw

from atelier import cli
from atelier.engines.diffusion import DiffusionEngine
from tests.conftest import (
    InProcess,
    assert_same_image,
    decoded,
    encode,
    error_of,
    fetch,
    in_process_app,
    square_mask,
)
from tests.engines.original_checkpoint import single_file_model


class FaultyDiffusionEngine(DiffusionEngine):
    """An engine of the user's own (engine="module:Class"): the diffusers engine with a model
    that breaks on one prompt, as a real model breaks on one input (NaNs, OOM)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for model in self.models.values():
            model.text2img = breaks_on_poison(model.text2img)


def breaks_on_poison(pipeline: Any) -> Any:
    def call(**kwargs: Any) -> Any:
        if any("POISON" in prompt for prompt in kwargs["prompt"]):
            raise RuntimeError("this prompt breaks the model")
        return pipeline(**kwargs)

    return call


def diffusion_env(weights: Path) -> dict[str, str]:
    return {
        "ATELIER_ENGINE": "diffusers",
        "ATELIER_DIFFUSION_MODELS": json.dumps(
            {"recraftv3": str(weights), "recraftv4_1": str(weights), "flux1dev": str(weights)}
        ),
        "ATELIER_DIFFUSION_STEPS": "2",
        "ATELIER_DIFFUSION_BATCH_WAIT_MS": "400",
        "HF_HUB_OFFLINE": "1",
    }


def diffusion_settings(weights: Path) -> dict[str, Any]:
    """The settings `diffusion_env` gives a server, for an app in this process."""
    models = {"recraftv3": weights, "recraftv4_1": weights, "flux1dev": weights}
    return {"engine": "diffusers", "diffusion_models": models, "diffusion_steps": 2,
            "diffusion_batch_wait_ms": 400}  # fmt: skip


@pytest.fixture(scope="module")
def diffusion(tiny_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    data_dir = tmp_path_factory.mktemp("diffusion") / "data"
    with in_process_app(data_dir, **diffusion_settings(tiny_weights)) as app:
        yield app


@pytest.fixture
def http(diffusion: InProcess) -> Iterator[httpx.Client]:
    token, _ = diffusion.create_user()
    with diffusion.http(token) as client:
        yield client


def forward_passes(http: httpx.Client) -> int:
    models = {m["id"]: m for m in http.get("/v1/models").json()["data"]}
    assert models["recraftv3"]["engine"] == "diffusers"
    return int(models["recraftv3"]["engine_stats"]["forward_passes"])


def test_text_to_image_sizes_n_and_seeds(http: httpx.Client) -> None:
    body = {"prompt": "a red fox", "size": "1365x1024", "n": 2, "random_seed": 5,
            "response_format": "b64_json"}  # fmt: skip
    first = http.post("/v1/images/generations", json=body)
    assert first.status_code == 200, first.text
    images = [decoded(d) for d in first.json()["data"]]
    assert [im.size for im in images] == [(1365, 1024)] * 2
    assert ImageChops.difference(images[0], images[1]).getbbox() is not None
    again = decoded(http.post("/v1/images/generations", json={**body, "n": 1}).json()["data"][0])
    assert_same_image(again, images[0])
    assert first.json()["credits"] == 80


def test_concurrent_requests_are_batched(http: httpx.Client) -> None:
    before = forward_passes(http)

    def one(seed: int) -> int:
        body = {"prompt": "a boat", "random_seed": seed}
        return http.post("/v1/images/generations", json=body).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(one, range(4))) == [200] * 4
    assert forward_passes(http) - before < 4


# Vector results are traced from the engine's raster; two colours keep the tracing of the tiny
# random model's noise quick (twelve, the default, take seconds on a CPU).
TWO_COLOURS = {"colors": [{"rgb": [0, 0, 0]}, {"rgb": [255, 255, 255]}]}


def assert_svg_in(url: str, colours: set[str]) -> None:
    svg = fetch(url)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert set(re.findall(r'fill="(#[0-9a-f]{6})"', svg.text)) <= colours


def test_vector_style_is_svg(http: httpx.Client) -> None:
    response = http.post(
        "/v1/images/generations",
        json={"prompt": "a fox", "style": "vector_illustration", "controls": TWO_COLOURS},
    )
    assert response.status_code == 200 and response.json()["credits"] == 80
    assert_svg_in(response.json()["data"][0]["url"], {"#000000", "#ffffff"})


def test_the_model_map_serves_families_and_mapped_vendor_ids(http: httpx.Client) -> None:
    listed = {m["id"] for m in http.get("/v1/models").json()["data"]}
    assert {"recraftv3", "recraftv4_1", "recraftv4_1_vector", "flux1dev"} <= listed
    assert "recraftv4_pro" not in listed
    vector = http.post(
        "/v1/images/generations",
        json={"prompt": "a fox", "model": "recraftv4_1_vector", "controls": TWO_COLOURS},
    )
    assert vector.status_code == 200, vector.text
    assert_svg_in(vector.json()["data"][0]["url"], {"#000000", "#ffffff"})
    flux = http.post("/v1/images/generations", json={"prompt": "a fox", "model": "flux1dev"})
    assert flux.status_code == 200 and flux.json()["credits"] == 40, flux.text
    for model, hint in (("recraftv4_pro", "not served"), ("imagen4", "another vendor")):
        refused = http.post("/v1/images/generations", json={"prompt": "x", "model": model})
        assert refused.status_code == 400 and hint in error_of(refused)["message"]


def test_edits_through_the_same_engine(http: httpx.Client) -> None:
    source = Image.new("RGB", (512, 512), (30, 90, 200))
    ImageDraw.Draw(source).ellipse((156, 156, 356, 356), fill=(230, 200, 40))
    mask = square_mask(source.size, (0, 0, 127, 127))
    files = {"image": ("i.png", encode(source))}
    data = {"prompt": "winter", "response_format": "b64_json"}

    i2i = http.post("/v1/images/imageToImage", data={**data, "strength": "0.5"}, files=files)
    assert i2i.status_code == 200, i2i.text
    assert decoded(i2i.json()["data"][0]).size == (512, 512)

    for endpoint in ("inpaint", "generateBackground"):
        response = http.post(
            f"/v1/images/{endpoint}", data=data, files={**files, "mask": ("m.png", encode(mask))}
        )
        assert response.status_code == 200, response.text
        diff = ImageChops.difference(decoded(response.json()["data"][0]), source).getbbox()
        assert diff is not None and diff[2] <= 128 and diff[3] <= 128

    replaced = http.post("/v1/images/replaceBackground", data=data, files=files)
    assert replaced.status_code == 200, replaced.text
    centre = decoded(replaced.json()["data"][0]).getpixel((256, 256))
    assert isinstance(centre, tuple) and abs(centre[0] - 230) < 20

    variation = http.post(
        "/v1/images/variateImage",
        data={"size": "1024x1024", "random_seed": "3", "response_format": "b64_json"},
        files=files,
    )
    assert variation.status_code == 200, variation.text
    assert decoded(variation.json()["data"][0]).size == (1024, 1024)


def test_atelier_models_and_startup_errors(tiny_weights: Path, tmp_path: Path) -> None:
    """The command line in this process (click's runner), configured by the environment."""
    single = single_file_model(tiny_weights, tmp_path / "single")
    models = {"recraftv3": str(tiny_weights), "recraftv2": str(single)}
    env = {**diffusion_env(tiny_weights), "ATELIER_DIFFUSION_MODELS": json.dumps(models)}
    runner = CliRunner()
    listed = runner.invoke(cli.main, ["models", "--data-dir", str(tmp_path)], env=env)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"id": "recraftv3", "engine": "diffusers", "path": str(tiny_weights), "loads": True},
        {"id": "recraftv2", "engine": "diffusers", "path": str(single), "loads": True},
    ]
    missing = {**env, "ATELIER_DIFFUSION_MODELS": json.dumps({"recraftv3": str(tmp_path / "x")})}
    served = runner.invoke(
        cli.main, ["serve", "--data-dir", str(tmp_path), "--port", "9"], env=missing
    )
    assert served.exit_code == 1
    error = json.loads(served.stderr.strip().splitlines()[-1])
    assert error["code"] == "model_unavailable" and str(tmp_path / "x") in error["message"]


def test_a_failing_request_in_a_batch_fails_alone_and_charges_nothing(
    tiny_weights: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {**diffusion_settings(tiny_weights), "engine": f"{__name__}:FaultyDiffusionEngine"}
    with in_process_app(tmp_path / "data", **settings) as app:
        token, _ = app.create_user(credits=1000)
        with app.http(token) as http:
            before = forward_passes(http)

            def one(prompt: str) -> httpx.Response:
                return http.post("/v1/images/generations", json={"prompt": prompt})

            with ThreadPoolExecutor(3) as pool:
                responses = list(pool.map(one, ["a dog", "POISON", "a bird"]))
            assert [r.status_code for r in responses] == [200, 500, 200]
            assert error_of(responses[1])["code"] == "internal_error"
            # One batch of all three failed, then each ran alone: 1 + 3 forward passes.
            assert forward_passes(http) - before == 4
        assert app.balance(token) == 1000 - 2 * 40
        assert "this prompt breaks the model" in caplog.text
