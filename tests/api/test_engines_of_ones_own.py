"""Engines and tools of one's own, chosen by "module:Class" paths: the example engine
(atelier.testing.example_engine) draws raster gradients only, and the finishing step every
engine shares makes its SVG; a matting tool of a test's own replaces the built-in one.

In process: the paths are imported the same way there; a real server's start-up is tested by
the one case of an unknown engine that must stop it."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from atelier.engines.registry import UnknownEngine
from tests.conftest import Server, encode, fetch, free_port, in_process_app, photo


def test_the_example_engine_serves_by_module_path(tmp_path: Path) -> None:
    with (
        in_process_app(
            tmp_path / "data", engine="atelier.testing.example_engine:ExampleEngine"
        ) as app,
        app.http(app.create_user()[0]) as http,
    ):
        response = http.post(
            "/v1/images/generations",
            json={
                "prompt": "a fox",
                "style": "vector_illustration",
                "controls": {"colors": [{"rgb": [200, 0, 0]}]},
            },
        )
        assert response.status_code == 200, response.text
        svg = fetch(response.json()["data"][0]["url"]).text
        assert 'fill="#c80000"' in svg  # traced and held to the palette by finishing
        assert http.get("/v1/models").json()["data"][0]["engine"] == "example"


def test_a_matting_tool_of_ones_own_serves_remove_background(tmp_path: Path) -> None:
    with in_process_app(tmp_path / "data", matting_engine="tests.stand_ins:HalfMatting") as app:
        response = app.http(app.create_user()[0]).post(
            "/v1/images/removeBackground",
            files={"image": ("p.png", encode(photo((320, 256))))},
            data={"response_format": "b64_json"},
        )
        assert response.status_code == 200, response.text
        cut = Image.open(io.BytesIO(base64.b64decode(response.json()["image"]["b64_json"])))
        assert cut.mode == "RGBA"
        assert cut.getchannel("A").getpixel((10, 10)) == 255
        assert cut.getchannel("A").getpixel((310, 10)) == 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("upscale_engine", "unknown upscale engine 'nope'"),
        ("eraser_engine", "unknown eraser engine 'nope'"),
        ("matting_engine", "unknown matting engine 'nope'"),
    ],
)
def test_an_unknown_tool_is_refused_when_the_app_is_made(
    tmp_path: Path, setting: str, message: str
) -> None:
    with (
        pytest.raises(UnknownEngine, match=message),
        in_process_app(tmp_path / "data", **{setting: "nope"}),
    ):
        pass


def test_an_unknown_tool_stops_the_server_at_start(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", free_port(), {"ATELIER_MATTING_ENGINE": "nope"})
    with pytest.raises(RuntimeError, match="server exited at start") as failed:
        server.start()
    assert "unknown matting engine 'nope'" in str(failed.value)
