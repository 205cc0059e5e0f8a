"""The example engine of one's own (atelier.testing.example_engine), served by its module path:
it draws raster gradients only, and the finishing step every engine shares makes its SVG."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import Server, free_port


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
