"""The public, signed, expiring image links and the sweep that deletes expired images, in
process (`InProcess` serves its image URLs as a server does)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import InProcess, both_backends, error_of, fetch, in_process_app

# Signed URLs on both back-ends: SQLite + a folder, PostgreSQL + S3.
in_process = both_backends


def make_image(server: InProcess, token: str) -> str:
    response = server.http(token).post("/v1/images/generations", json={"prompt": "a boat"})
    assert response.status_code == 200, response.text
    return str(response.json()["data"][0]["url"])


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_url_is_absolute_public_and_signed(in_process: InProcess, local_token: str) -> None:
    url = make_image(in_process, local_token)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == in_process.url
    query = parse_qs(parts.query)
    assert int(query["expires"][0]) > time.time() + 23 * 3600
    assert len(query["signature"][0]) >= 40
    assert fetch(url).headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    "forge",
    [
        lambda url: with_query(url, signature="A" * 43),
        lambda url: with_query(url, expires=str(int(time.time()) + 10 * 86400)),
        lambda url: url.split("?")[0],
        lambda url: url.replace(".png", ".webp"),
    ],
)
def test_forged_urls_are_refused(in_process: InProcess, local_token: str, forge: object) -> None:
    url = make_image(in_process, local_token)
    response = in_process.http().get(forge(url))  # type: ignore[operator]
    assert response.status_code == 403, response.text
    assert error_of(response)["code"] == "forbidden"


def test_expired_signed_url_is_404(in_process: InProcess, local_token: str) -> None:
    # Sign an already-past expiry with the app's own key: the signature is right, the time not.
    signer = in_process.app.state.services.signer
    name = urlsplit(make_image(in_process, local_token)).path.rsplit("/", 1)[1]
    response = in_process.http().get(signer.url(name, int(time.time()) - 1))
    assert response.status_code == 404
    assert "expired" in str(error_of(response)["message"])


def test_unknown_image_with_a_valid_signature_is_404(in_process: InProcess) -> None:
    signer = in_process.app.state.services.signer
    url = signer.url("00000000-0000-4000-8000-000000000000.png", int(time.time()) + 60)
    assert in_process.http().get(url).status_code == 404


def test_the_sweep_deletes_expired_images(tmp_path: Path) -> None:
    with in_process_app(
        tmp_path / "data", image_ttl_seconds=1, sweep_interval_seconds=0.2
    ) as server:
        token, _ = server.create_user()
        url = make_image(server, token)
        name = urlsplit(url).path.rsplit("/", 1)[1]
        stored = server.data_dir / "images" / name[:2] / name
        assert stored.is_file()
        deadline = time.monotonic() + 20
        while stored.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for the background sweep's effect
        assert not stored.exists()
        assert server.http().get(url).status_code == 404
