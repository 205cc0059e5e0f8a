"""Gateway mode against a real upstream (a second atelier process): generations, edits and
tools made upstream, charged here at our prices and there at its, re-hosted in the gateway's
store; bad requests never reach the upstream; the upstream's faults become clear errors with
the hold released; the operator's key never shows."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from atelier.database import Database, sqlite_url
from tests.conftest import encode, logo, photo, square_mask
from tests.gateway.conftest import MAX_CONCURRENCY, Gateway
from tests.gateway.faults import FaultProxy

START = 100_000


def user(gateway: Gateway) -> httpx.Client:
    token, _ = gateway.gateway.create_user(credits=START)
    return gateway.gateway.http(token)


def balance(http: httpx.Client) -> int:
    return int(http.get("/v1/users/me").json()["credits"])


def ledger_rows(gateway: Gateway) -> list[dict]:
    db = Database(sqlite_url(gateway.gateway.data_dir / "atelier.sqlite3"))
    return db.query(
        "SELECT reason, units, state, upstream, upstream_units FROM ledger "
        "WHERE state = 'charged' ORDER BY created"
    )


def test_a_generation_is_made_upstream_and_charged_on_both_sides(gateway: Gateway) -> None:
    upstream_before = gateway.upstream_balance()
    seen = len(gateway.proxy.faults.requests)
    with user(gateway) as http:
        answer = http.post(
            "/v1/images/generations",
            json={"prompt": "a lighthouse", "model": "recraftv3", "style": "digital_illustration",
                  "size": "1365x1024", "n": 2},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["credits"] == 80 and balance(http) == START - 80
        for item in body["data"]:
            # Re-hosted: the gateway's own signed URL, serving the upstream's image.
            assert item["url"].startswith(gateway.gateway.url + "/images/")
            image = Image.open(io.BytesIO(httpx.get(item["url"]).content))
            assert image.size == (1365, 1024)
    assert gateway.upstream_balance() == upstream_before - 80
    assert gateway.proxy.faults.requests[seen:] == ["POST /v1/images/generations"]
    last = ledger_rows(gateway)[-1]
    assert last["units"] == 80 and last["upstream"] == "*" and last["upstream_units"] == 80


def test_vector_and_inline_images_come_back_as_asked(gateway: Gateway) -> None:
    with user(gateway) as http:
        answer = http.post(
            "/v1/images/generations",
            json={"prompt": "a fox", "style": "vector_illustration",
                  "response_format": "b64_json"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        import base64

        svg = base64.b64decode(answer.json()["data"][0]["b64_json"]).decode()
        assert svg.lstrip().startswith(("<?xml", "<svg")) and "<path" in svg


def test_edits_and_tools_are_made_upstream(gateway: Gateway) -> None:
    image = encode(photo((512, 384)))
    mask = encode(square_mask((512, 384), (100, 100, 200, 200)))
    upstream_before = gateway.upstream_balance()
    with user(gateway) as http:
        calls = [
            ("inpaint", {"image": image, "mask": mask}, {"prompt": "a boat"}, 40),
            ("imageToImage", {"image": image}, {"prompt": "a boat", "strength": "0.4"}, 40),
            ("removeBackground", {"image": encode(logo((512, 384)))}, {}, 10),
            ("vectorize", {"image": encode(logo((512, 384)))}, {}, 10),
            ("crispUpscale", {"image": image}, {}, 4),
            ("eraseRegion", {"image": image, "mask": mask}, {}, 2),
        ]
        spent = 0
        for endpoint, files, data, price in calls:
            answer = http.post(f"/v1/images/{endpoint}", files=files, data=data)
            assert answer.status_code == 200, (endpoint, answer.text)
            assert answer.json()["credits"] == price
            spent += price
        assert balance(http) == START - spent
    assert gateway.upstream_balance() == upstream_before - spent
    reasons = [row["reason"] for row in ledger_rows(gateway)[-len(calls) :]]
    assert all(row["upstream_units"] for row in ledger_rows(gateway)[-len(calls) :]), reasons


def test_a_bad_request_never_reaches_the_upstream(gateway: Gateway) -> None:
    seen = len(gateway.proxy.faults.requests)
    with user(gateway) as http:
        answer = http.post("/v1/images/generations", json={"prompt": "x", "style": "no_such_style"})
        assert answer.status_code == 400 and answer.json()["param"] == "style"
        poor, _ = gateway.gateway.create_user(credits=10)
        refused = gateway.gateway.http(poor).post(
            "/v1/images/generations", json={"prompt": "a lighthouse"}
        )
        assert refused.status_code == 402
    assert gateway.proxy.faults.requests[seen:] == []


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("500", 502, "upstream_unavailable"),
        ("garbage", 502, "upstream_unavailable"),
        ("drop", 502, "upstream_unavailable"),
    ],
)
def test_upstream_failures_are_clear_errors_and_charge_nothing(
    gateway: Gateway, faults: FaultProxy, mode: str, status: int, code: str
) -> None:
    faults.faults.set(mode, times=1)
    upstream_before = gateway.upstream_balance()
    with user(gateway) as http:
        answer = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
        assert answer.status_code == status, answer.text
        assert answer.json()["code"] == code
        assert balance(http) == START
        assert gateway.key not in answer.text
    assert gateway.upstream_balance() == upstream_before


def test_a_slow_upstream_is_a_504(gateway: Gateway, faults: FaultProxy) -> None:
    faults.faults.set("slow", times=1, delay=5.0)  # the gateway waits 3 s
    with user(gateway) as http:
        started = time.monotonic()
        answer = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
        assert answer.status_code == 504 and answer.json()["code"] == "upstream_timeout"
        assert time.monotonic() - started < 5
        assert balance(http) == START


def test_429s_are_retried_after_their_retry_after_then_passed_on(
    gateway: Gateway, faults: FaultProxy
) -> None:
    with user(gateway) as http:
        faults.faults.set("429", times=2, retry_after="0")  # two refusals, then it answers
        answer = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
        assert answer.status_code == 200, answer.text
        assert balance(http) == START - 40
        # A wait past what a request may sit through (10 s) is passed on at once, as a 429
        # with the upstream's Retry-After.
        faults.faults.set("429", retry_after="30")
        seen = len(faults.faults.requests)
        refused = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
        assert refused.status_code == 429
        assert refused.json()["code"] == "upstream_rate_limited"
        assert refused.headers["retry-after"] == "30"
        assert len(faults.faults.requests) == seen + 1
        assert balance(http) == START - 40


def test_the_key_never_shows_in_answers_or_logs(gateway: Gateway) -> None:
    with user(gateway) as http:
        for path in ("/v1/models", "/v1/catalog", "/openapi.json", "/metrics"):
            assert gateway.key not in http.get(path).text
    assert gateway.key not in gateway.gateway.log


def test_a_failing_upstream_opens_the_circuit_then_is_tried_again(
    gateway: Gateway, faults: FaultProxy
) -> None:
    faults.faults.set("500")
    with user(gateway) as http:
        for _ in range(3):  # circuit_failures: 3
            assert http.post("/v1/images/generations", json={"prompt": "a"}).status_code == 502
        seen = len(faults.faults.requests)
        started = time.monotonic()
        fast = http.post("/v1/images/generations", json={"prompt": "a"})
        assert fast.status_code == 503 and fast.json()["code"] == "upstream_circuit_open"
        assert int(fast.headers["retry-after"]) >= 1
        assert len(faults.faults.requests) == seen  # failed fast: the upstream was not called
        assert time.monotonic() - started < 1
        faults.faults.set("pass")
        # After circuit_open_seconds (2 s) one trial call goes through and closes it again.
        deadline = time.monotonic() + 10
        while (
            answer := http.post("/v1/images/generations", json={"prompt": "a"})
        ).status_code != 200:
            assert answer.json()["code"] == "upstream_circuit_open"
            assert time.monotonic() < deadline, "the circuit never closed"
            time.sleep(0.2)  # polling the circuit's state through the API, not a sync sleep
        assert balance(http) == START - 40


def test_an_upstream_refusing_the_operator_is_a_502_for_the_user(gateway: Gateway) -> None:
    """The operator's upstream account runs dry: our user's credits are not the problem."""
    with gateway.upstream.http(gateway.key) as upstream_http:
        spare = upstream_http.get("/v1/users/me").json()["credits"]
    user_id = gateway.upstream.http(gateway.key).get("/v1/users/me").json()["id"]
    db = Database(sqlite_url(gateway.upstream.data_dir / "atelier.sqlite3"))
    with db.transaction() as tx:
        tx.execute("UPDATE users SET credits = 5 WHERE id = :id", {"id": user_id})
    try:
        with user(gateway) as http:
            answer = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
            assert answer.status_code == 502 and answer.json()["code"] == "upstream_unavailable"
            assert "refused" in answer.json()["message"]
            assert balance(http) == START
    finally:
        with db.transaction() as tx:
            tx.execute("UPDATE users SET credits = :c WHERE id = :id", {"c": spare, "id": user_id})


def test_the_ai_ml_api_dialect_is_served_upstream(gateway: Gateway) -> None:
    upstream_before = gateway.upstream_balance()
    with user(gateway) as http:
        answer = http.post(
            "/v1/images/generations",
            json={"prompt": "A T-Rex on a beach", "model": "recraft-v3",
                  "image_size": "landscape_4_3"},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        (image,) = answer.json()["images"]
        assert image["url"].startswith(gateway.gateway.url + "/images/")
        served = Image.open(io.BytesIO(httpx.get(image["url"]).content))
        assert served.size == (1365, 1024)
        assert balance(http) == START - 40
    assert gateway.upstream_balance() == upstream_before - 40


def test_only_the_models_a_route_names_go_upstream(gateway: Gateway, tmp_path) -> None:
    from tests.conftest import in_process_app

    upstreams = {"recraftv4*": {"url": gateway.upstream.url, "key_env": "TEST_ROUTE_KEY"}}
    import os

    os.environ["TEST_ROUTE_KEY"] = gateway.key
    try:
        with in_process_app(tmp_path, upstreams=upstreams) as app:
            token, _ = app.create_user(credits=START)
            with app.http(token) as http:
                before = gateway.upstream_balance()
                local = http.post(
                    "/v1/images/generations", json={"prompt": "a", "model": "recraftv3"}
                )
                assert local.status_code == 200 and gateway.upstream_balance() == before
                remote = http.post(
                    "/v1/images/generations", json={"prompt": "a", "model": "recraftv4_1"}
                )
                assert remote.status_code == 200, remote.text
                assert gateway.upstream_balance() == before - 35
                tool = http.post("/v1/images/vectorize", files={"image": encode(logo())})
                assert tool.status_code == 200 and gateway.upstream_balance() == before - 35
                models = {m["id"] for m in http.get("/v1/models").json()["data"]}
                assert {"recraftv3", "recraftv4_1", "recraftv4_1_vector"} <= models
    finally:
        del os.environ["TEST_ROUTE_KEY"]


def test_a_damaged_upload_for_an_upstream_tool_is_the_users_400(gateway: Gateway) -> None:
    """Only its header is checked here (the pixels go upstream as they came, undecoded); the
    upstream's refusal reaches the user as a 400 and nothing is charged."""
    whole = encode(photo((512, 384)))
    damaged = whole[: len(whole) // 2]
    with user(gateway) as http:
        answer = http.post("/v1/images/vectorize", files={"image": damaged})
        assert answer.status_code == 400, answer.text
        message = answer.json()["message"]
        assert "upstream refused" in message and "damaged" in message, message
        assert balance(http) == START


def test_a_style_is_made_upstream_too_used_there_by_its_id_and_deleted_on_both(
    gateway: Gateway,
) -> None:
    import json

    upstream = gateway.upstream.http(gateway.key)
    upstream_before = gateway.upstream_balance()
    known = {s["id"] for s in upstream.get("/v1/styles").json()["styles"]}
    with user(gateway) as http:
        created = http.post(
            "/v1/styles",
            data={"style": "digital_illustration"},
            files=[("images", ("a.png", encode(logo()), "image/png"))],
        )
        assert created.status_code == 200, created.text
        style_id = created.json()["id"]
        (upstream_id,) = {s["id"] for s in upstream.get("/v1/styles").json()["styles"]} - known
        seen = len(gateway.proxy.faults.bodies)
        answer = http.post(
            "/v1/images/generations", json={"prompt": "a teapot", "style_id": style_id}
        )
        assert answer.status_code == 200, answer.text
        (sent,) = [json.loads(b) for b in gateway.proxy.faults.bodies[seen:] if b.startswith(b"{")]
        assert sent["style_id"] == upstream_id and "style" not in sent
        assert balance(http) == START - 40 - 40  # the style, one image
        assert http.delete(f"/v1/styles/{style_id}").status_code == 200
        assert http.get(f"/v1/styles/{style_id}").status_code == 404
    assert upstream_id not in {s["id"] for s in upstream.get("/v1/styles").json()["styles"]}
    assert gateway.upstream_balance() == upstream_before - 40 - 40


def test_passthrough_hands_out_the_upstreams_urls(
    gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import in_process_app

    monkeypatch.setenv("TEST_PASSTHROUGH_KEY", gateway.key)
    upstreams = {"*": {"url": gateway.upstream.url, "key_env": "TEST_PASSTHROUGH_KEY"}}
    with in_process_app(tmp_path, upstreams=upstreams, upstream_passthrough_urls=True) as app:
        token, _ = app.create_user(credits=START)
        with app.http(token) as http:
            answer = http.post("/v1/images/generations", json={"prompt": "a", "n": 2})
            assert answer.status_code == 200, answer.text
            for item in answer.json()["data"]:
                assert item["url"].startswith(gateway.upstream.url + "/images/")
                assert item["image_id"] in item["url"]
                assert Image.open(io.BytesIO(httpx.get(item["url"]).content)).size == (1024, 1024)
            assert not any((tmp_path / "images").rglob("*.png"))  # nothing stored here
            inline = http.post(
                "/v1/images/generations", json={"prompt": "a", "response_format": "b64_json"}
            )
            assert inline.status_code == 200 and inline.json()["data"][0]["b64_json"]
            assert http.get("/v1/users/me").json()["credits"] == START - 3 * 40


def test_calls_in_flight_to_an_upstream_are_capped(gateway: Gateway, faults: FaultProxy) -> None:
    """max_concurrency 2: six requests at once reach the upstream two at a time."""
    from concurrent.futures import ThreadPoolExecutor

    token, _ = gateway.gateway.create_user(credits=START)
    faults.faults.set("slow", times=6, delay=0.5)
    faults.faults.most_in_flight = 0

    def generate(_: int) -> httpx.Response:
        with gateway.gateway.http(token) as http:
            return http.post("/v1/images/generations", json={"prompt": "a"})

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(generate, range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert faults.faults.most_in_flight == MAX_CONCURRENCY


def test_the_operator_sees_the_margin_per_user_and_model(gateway: Gateway) -> None:
    import json

    from tests.conftest import run_cli

    token, email = gateway.gateway.create_user(credits=START)
    with gateway.gateway.http(token) as http:
        for model in ("recraftv3", "recraftv3", "recraftv4_1"):
            answer = http.post("/v1/images/generations", json={"prompt": "a", "model": model})
            assert answer.status_code == 200, answer.text
    report = run_cli(gateway.gateway.data_dir, "credits", "usage", "--email", email)
    assert report.returncode == 0, report.stderr
    rows = {row["what"]: row for row in json.loads(report.stdout)}
    assert rows["generation:recraftv3"] == {
        "email": email, "what": "generation:recraftv3", "charges": 2, "units": 80,
        "upstream_units": 80, "margin": 0,
    }  # fmt: skip
    assert rows["generation:recraftv4_1"]["units"] == 35
    assert rows["generation:recraftv4_1"]["upstream_units"] == 35


def test_a_recraft_request_is_served_by_an_upstream_speaking_the_ai_ml_api(
    gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other way round: the upstream (here atelier, which speaks both) is addressed in the
    AI/ML API's dialect; its generations serve Recraft-dialect requests."""
    from tests.conftest import in_process_app

    monkeypatch.setenv("TEST_AIML_KEY", gateway.key)
    upstreams = {"recraftv3": {"url": gateway.upstream.url, "key_env": "TEST_AIML_KEY",
                               "dialect": "aimlapi"}}  # fmt: skip
    before = gateway.upstream_balance()
    with in_process_app(tmp_path, upstreams=upstreams) as app:
        token, _ = app.create_user(credits=START)
        with app.http(token) as http:
            answer = http.post(
                "/v1/images/generations",
                json={"prompt": "a lighthouse", "model": "recraftv3", "n": 2,
                      "style": "digital_illustration", "size": "1365x1024",
                      "controls": {"colors": [{"rgb": [200, 30, 30]}]}},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            for item in answer.json()["data"]:
                served = app.http().get(item["url"])
                assert Image.open(io.BytesIO(served.content)).size == (1365, 1024)
            assert gateway.upstream_balance() == before - 80
            # That dialect has no edits: a clear 502, nothing charged.
            edit = http.post(
                "/v1/images/imageToImage",
                files={"image": encode(photo((512, 384)))},
                data={"prompt": "a boat", "strength": "0.5", "model": "recraftv3"},
            )
            assert edit.status_code == 502 and "AI/ML API" in edit.json()["message"]
            assert http.get("/v1/users/me").json()["credits"] == START - 80
