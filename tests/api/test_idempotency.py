"""Idempotency-Key through the live server (Stripe's semantics): a retry of a request gets its
first response and pays once, even while the first is still running; another body with the
same key is a 409. Without a key, a request whose client gave up is not charged."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.api.conftest import stats, wait_until
from tests.conftest import Server, encode, error_of, fetch, logo


def test_the_sdks_retries_of_a_timed_out_request_pay_once(slow: Server) -> None:
    token, watcher = slow.create_user(credits=1000)[0], slow.create_user()[0]
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    before = stats(slow, watcher)["started"]
    key = str(uuid.uuid4())
    # The job takes 1.6 s, the client waits 1 s: the first try times out and the SDK retries
    # (after about half a second); the retry waits for the first job and gets its result.
    client = openai.OpenAI(base_url=f"{slow.url}/v1", api_key=token, timeout=1.0, max_retries=2)
    response = client.images.generate(prompt="sleep 1.6", extra_headers={"Idempotency-Key": key})
    assert response.data[0].url and fetch(response.data[0].url).status_code == 200
    assert slow.balance(token) == 1000 - 40
    assert stats(slow, watcher)["started"] - before == 1  # tried twice or more, run once

    # Later, the same key and body: the stored response, the same image, no charge.
    again = slow.http(token).post(
        "/v1/images/generations",
        json={"prompt": "sleep 1.6"},
        headers={"Idempotency-Key": key},
    )
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"][0]["url"] == response.data[0].url
    assert slow.balance(token) == 1000 - 40


def test_without_a_key_a_request_whose_client_gave_up_is_not_charged(slow: Server) -> None:
    token, watcher = slow.create_user(credits=1000)[0], slow.create_user()[0]
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    before = stats(slow, watcher)["started"]
    client = openai.OpenAI(base_url=f"{slow.url}/v1", api_key=token, timeout=0.5, max_retries=2)
    with pytest.raises(openai.APITimeoutError):
        client.images.generate(prompt="sleep 1.2")
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    assert stats(slow, watcher)["started"] - before >= 1
    assert slow.balance(token) == 1000  # every try was abandoned, none delivered, none paid


def test_concurrent_requests_with_one_key_run_once(slow: Server) -> None:
    token, watcher = slow.create_user(credits=1000)[0], slow.create_user()[0]
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    before = stats(slow, watcher)["started"]
    headers = {"Idempotency-Key": "order-17", "Authorization": f"Bearer {token}"}

    def send(_: int) -> httpx.Response:
        body = {"prompt": "sleep 0.8", "n": 2}
        return httpx.post(f"{slow.url}/v1/images/generations", json=body, headers=headers)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(send, range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.text for r in responses}) == 1  # the same images for every one
    assert stats(slow, watcher)["started"] - before == 1
    assert slow.balance(token) == 1000 - 80


def test_a_key_is_one_request(slow: Server) -> None:
    token = slow.create_user(credits=1000)[0]
    headers = {"Idempotency-Key": "k-1"}
    with slow.http(token) as http:
        first = http.post("/v1/images/generations", json={"prompt": "a"}, headers=headers)
        assert first.status_code == 200
        other = http.post("/v1/images/generations", json={"prompt": "b"}, headers=headers)
        assert other.status_code == 409
        assert error_of(other)["code"] == "idempotency_key_reused"
        assert error_of(other)["param"] == "Idempotency-Key"
        # Keys are per user: another user's k-1 is theirs.
        stranger = slow.create_user(credits=1000)[0]
        theirs = httpx.post(
            f"{slow.url}/v1/images/generations",
            json={"prompt": "b"},
            headers={**headers, "Authorization": f"Bearer {stranger}"},
        )
        assert theirs.status_code == 200 and theirs.json() != first.json()
        # A failed request keeps no response: after a top-up the same key runs it.
        broke = slow.create_user(credits=0)[0]
        key = {"Idempotency-Key": "k-2", "Authorization": f"Bearer {broke}"}
        url = f"{slow.url}/v1/images/generations"
        assert httpx.post(url, json={"prompt": "c"}, headers=key).status_code == 402
        bad = http.post("/v1/images/generations", json={"prompt": "c"},
                        headers={"Idempotency-Key": "k" * 256})  # fmt: skip
        assert bad.status_code == 400 and error_of(bad)["param"] == "Idempotency-Key"
    assert slow.balance(token) == 1000 - 40


def test_multipart_retries_match_whatever_their_boundary(slow: Server) -> None:
    token = slow.create_user(credits=1000)[0]
    with slow.http(token) as http:
        results = [
            http.post(
                "/v1/images/imageToImage",
                data={"prompt": "winter", "strength": "0.5"},
                files={"image": ("a.png", encode(logo()))},
                headers={"Idempotency-Key": "upload-1"},
            )
            for _ in range(2)  # httpx picks a new multipart boundary for each request
        ]
    assert [r.status_code for r in results] == [200, 200]
    assert results[0].json() == results[1].json()
    assert results[1].headers["idempotent-replayed"] == "true"
    assert slow.balance(token) == 1000 - 40
