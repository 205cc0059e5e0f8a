"""Unexpected failures: a 500 envelope without internals, logged, and nothing charged."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import error_of, start_server


def test_a_failing_store_gives_500_charges_nothing_and_the_server_recovers(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        token, _ = server.create_user(credits=1000)
        http = server.http(token)
        images = server.data_dir / "images"
        shutil.rmtree(images)
        images.write_text("a file where the image directory should be")

        response = http.post("/v1/images/generations", json={"prompt": "x", "n": 2})
        assert response.status_code == 500
        error = error_of(response)
        assert error["code"] == "internal_error"
        assert "Traceback" not in response.text and str(images) not in response.text
        assert server.balance(token) == 1000
        assert "Traceback" in server.log

        images.unlink()
        images.mkdir()
        again = http.post("/v1/images/generations", json={"prompt": "x", "n": 2})
        assert again.status_code == 200
        assert server.balance(token) == 1000 - 80
    finally:
        server.stop()
