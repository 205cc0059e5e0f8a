"""Cheap checks first, through the live server: a request the user cannot pay for (or that is
over the rate limit) is refused before any image is fetched or decoded, so a flood of them
neither reaches an image host nor slows anyone's token look-ups."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import Server, encode, error_of, logo, start_server


class SlowImageHost:
    """An image host that takes two seconds per image and counts what it is asked for."""

    def __init__(self) -> None:
        self.requests = 0
        host = self
        image = encode(logo((256, 256)))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                host.requests += 1
                time.sleep(2)  # a slow host, as a hostile user would pick
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(image)))
                self.end_headers()
                self.wfile.write(image)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def host() -> Iterator[SlowImageHost]:
    slow = SlowImageHost()
    yield slow
    slow.close()


@pytest.fixture(scope="module")
def fetching(host: SlowImageHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("cheap-first"),
        ATELIER_IMAGE_FETCH_ALLOWED_HOSTS=f'["{host.address}"]',
        ATELIER_RATE_LIMIT_IMAGES="3",
    )
    yield server
    server.stop()


def test_a_flood_a_user_cannot_pay_for_fetches_nothing_and_stalls_no_one(
    fetching: Server, host: SlowImageHost
) -> None:
    broke = fetching.create_user(credits=0)[0]
    other = fetching.create_user()[0]
    url = f"http://{host.address}/cat.png"
    body = {"model": "recraftv3", "prompt": f"make it winter {url}", "size": "1024x1024"}

    def send(_: int) -> int:
        with fetching.http(broke) as http:
            return http.post("/v1/images/generations", json=body).status_code

    with ThreadPoolExecutor(80) as pool:
        flood = pool.map(send, range(80))
        started = time.monotonic()
        me = fetching.http(other).get("/v1/users/me")
        waited = time.monotonic() - started
        assert list(flood) == [402] * 80
    assert me.status_code == 200 and waited < 1.0, waited
    assert host.requests == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/images/removeBackground", {}),
        ("/v1/images/crispUpscale", {}),
        ("/v1/images/vectorize", {}),
        ("/v1/images/imageToImage", {"prompt": "x", "strength": 0.5}),
        ("/v1/images/variateImage", {"size": "1024x1024"}),
        ("/v1/images/outpaint", {"prompt": "x", "expand_left": 64}),
        ("/v1/styles", {}),
    ],
)
def test_no_image_url_is_fetched_for_a_user_without_credits(
    fetching: Server, host: SlowImageHost, path: str, body: dict[str, object]
) -> None:
    before = host.requests
    broke = fetching.create_user(credits=1)[0]
    url = f"http://{host.address}/cat.png"
    images = {"image_urls": [url]} if path == "/v1/styles" else {"image_url": url}
    response = fetching.http(broke).post(path, json={**body, **images})
    assert response.status_code == 402, response.text
    assert error_of(response)["code"] == "not_enough_credits"
    assert host.requests == before


def test_no_image_is_fetched_over_the_rate_limit(fetching: Server, host: SlowImageHost) -> None:
    token = fetching.create_user()[0]
    with fetching.http(token) as http:
        used = http.post("/v1/images/generations", json={"prompt": "x", "n": 3})
        assert used.status_code == 200
        before = host.requests
        url = f"http://{host.address}/cat.png"
        response = http.post(
            "/v1/images/imageToImage", json={"prompt": "x", "strength": 0.5, "image_url": url}
        )
        assert response.status_code == 429 and "Retry-After" in response.headers
    assert host.requests == before
