"""Engines and tools of one's own, chosen by "module:Class" paths: the example engine
(atelier.testing.example_engine) draws raster gradients only, and the finishing step every
engine shares makes its SVG; a matting tool of a test's own replaces the built-in one."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import Server, encode, free_port, photo

HALF_MATTING = """
from PIL import Image

from atelier.tools.base import Matting


class HalfMatting(Matting):
    @classmethod
    def from_settings(cls, settings):
        return cls()

    def alpha(self, image):
        mask = Image.new("L", image.size, 0)
        mask.paste(255, (0, 0, image.width // 2, image.height))
        return mask
"""


def test_the_example_engine_serves_by_module_path(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data",
        free_port(),
        {"ATELIER_ENGINE": "atelier.testing.example_engine:ExampleEngine"},
    )
    server.start()
    try:
        token = server.create_user()[0]
        with server.http(token) as http:
            response = http.post(
                "/v1/images/generations",
                json={
                    "prompt": "a fox",
                    "style": "vector_illustration",
                    "controls": {"colors": [{"rgb": [200, 0, 0]}]},
                },
            )
            assert response.status_code == 200, response.text
            svg = httpx.get(response.json()["data"][0]["url"]).text
            assert 'fill="#c80000"' in svg  # traced and held to the palette by finishing
            assert http.get("/v1/models").json()["data"][0]["engine"] == "example"
    finally:
        server.stop()


def test_a_matting_tool_of_ones_own_serves_remove_background(tmp_path: Path) -> None:
    (tmp_path / "half_matting.py").write_text(HALF_MATTING)
    env = {"ATELIER_MATTING_ENGINE": "half_matting:HalfMatting", "PYTHONPATH": str(tmp_path)}
    server = Server(tmp_path / "data", free_port(), env)
    server.start()
    try:
        token = server.create_user()[0]
        response = server.http(token).post(
            "/v1/images/removeBackground",
            files={"image": ("p.png", encode(photo((320, 256))))},
            data={"response_format": "b64_json"},
        )
        assert response.status_code == 200, response.text
        cut = Image.open(io.BytesIO(base64.b64decode(response.json()["image"]["b64_json"])))
        assert cut.mode == "RGBA"
        assert cut.getchannel("A").getpixel((10, 10)) == 255
        assert cut.getchannel("A").getpixel((310, 10)) == 0
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("ATELIER_UPSCALE_ENGINE", "unknown upscale engine 'nope'"),
        ("ATELIER_ERASER_ENGINE", "unknown eraser engine 'nope'"),
        ("ATELIER_MATTING_ENGINE", "unknown matting engine 'nope'"),
    ],
)
def test_an_unknown_tool_stops_the_server_at_start(
    tmp_path: Path, variable: str, message: str
) -> None:
    server = Server(tmp_path / "data", free_port(), {variable: "nope"})
    with pytest.raises(RuntimeError, match="server exited at start") as failed:
        server.start()
    assert message in str(failed.value)
