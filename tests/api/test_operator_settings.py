"""Operator settings: the per-user image rate limit (429 + Retry-After) and price overrides, in
process; model files found by a server started from another directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import InProcess, Server, encode, error_of, free_port, in_process_app, photo


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    with in_process_app(
        tmp_path_factory.mktemp("limited") / "data",
        rate_limit_images=5,
        rate_limit_window_seconds=600,
        prices={"raster_generation_v3": 7},
    ) as app:
        yield app


def test_over_the_limit_is_429_with_retry_after_and_no_charge(limited: InProcess) -> None:
    token, _ = limited.create_user(credits=10_000)
    http = limited.http(token)
    assert http.post("/v1/images/generations", json={"prompt": "a", "n": 4}).status_code == 200
    before = limited.balance(token)
    response = http.post("/v1/images/generations", json={"prompt": "a", "n": 2})
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limit_exceeded"
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert limited.balance(token) == before
    # What is left of the window can still be used, and the limit is per user.
    assert http.post("/v1/images/generations", json={"prompt": "a", "n": 1}).status_code == 200
    other, _ = limited.create_user(credits=10_000)
    assert (
        limited.http(other).post("/v1/images/generations", json={"prompt": "a", "n": 5}).status_code
        == 200
    )


def test_default_limit_is_100_images_per_minute(tmp_path: Path) -> None:
    from atelier.config import Settings

    settings = Settings(data_dir=tmp_path)
    assert (settings.rate_limit_images, settings.rate_limit_window_seconds) == (100, 60.0)


def test_prices_are_overridable(limited: InProcess) -> None:
    token, _ = limited.create_user(credits=10_000)
    response = limited.http(token).post("/v1/images/generations", json={"prompt": "a", "n": 2})
    assert response.json()["credits"] == 14
    assert limited.balance(token) == 10_000 - 14
    vector = limited.http(token).post(
        "/v1/images/generations", json={"prompt": "a", "style": "vector_illustration"}
    )
    assert vector.json()["credits"] == 80  # not overridden: the spec's price


def test_served_from_another_directory_the_matting_model_is_found(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = Server(tmp_path / "data", free_port(), cwd=elsewhere)
    server.start()
    try:
        token, _ = server.create_user()
        response = server.http(token).post(
            "/v1/images/removeBackground", files={"image": ("p.png", encode(photo()))}
        )
        assert response.status_code == 200, response.text
        assert response.json()["credits"] == 10
    finally:
        server.stop()


@pytest.mark.parametrize(
    "prices",
    [{"raster_generation_v3": -1}, {"raster_generation_v3": 1.5}, {"raster_generation_v3": True},
     {"raster_generation_v3": 10**7}, {"no_such_key": 1}],
)  # fmt: skip
def test_prices_must_be_known_whole_and_not_negative(tmp_path: Path, prices: object) -> None:
    from pydantic import ValidationError

    from atelier.config import Settings

    with pytest.raises(ValidationError, match="prices"):
        Settings(data_dir=tmp_path, prices=prices)
