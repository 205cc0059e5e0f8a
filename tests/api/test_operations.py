"""What operators see and do, through live servers: request ids on every response and in the
logs (JSON when asked), Prometheus metrics, and a SIGTERM that lets in-flight work finish."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.api.conftest import metric, start_slow_server, stats, wait_until
from tests.conftest import Server, start_server


def test_every_response_has_a_request_id(server: Server) -> None:
    token = server.create_user()[0]
    with server.http(token) as http:
        fresh = http.get("/v1/users/me")
        assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
        given = http.get("/v1/users/me", headers={"X-Request-Id": "trace-42"})
        assert given.headers["x-request-id"] == "trace-42"
        odd = http.get("/v1/nope", headers={"X-Request-Id": "has spaces"})
        assert odd.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])


def test_metrics_count_requests_images_and_credits(server: Server) -> None:
    token = server.create_user()[0]
    route = "/v1/images/generations"
    before = metric(server, "atelier_http_requests_total", route=route, status="200")
    images = metric(server, "atelier_images_delivered_total", reason="generation")
    credits = metric(server, "atelier_credits_charged_total")
    with server.http(token) as http:
        made = http.post(route, json={"prompt": "x", "n": 2})
        assert made.status_code == 200
        assert http.post(route, json={"prompt": "x", "n": 99}).status_code == 400
        assert httpx.get(made.json()["data"][0]["url"]).status_code == 200
    assert metric(server, "atelier_http_requests_total", route=route, status="200") == before + 1
    assert metric(server, "atelier_http_requests_total", route=route, status="400") >= 1
    assert metric(server, "atelier_images_delivered_total", reason="generation") == images + 2
    assert metric(server, "atelier_credits_charged_total") == credits + 80
    assert metric(server, "atelier_job_duration_seconds_count", operation="generate") >= 1
    # Routes are labelled by their template, never by the raw path (one series per image
    # would grow without end).
    text = httpx.get(f"{server.url}/metrics").text
    assert 'route="/images/{name}"' in text and made.json()["data"][0]["image_id"] not in text


def test_json_logs_carry_the_request_id(tmp_path: Path) -> None:
    server = start_server(tmp_path, ATELIER_LOG_FORMAT="json")
    try:
        token = server.create_user()[0]
        images = server.data_dir / "images"
        shutil.rmtree(images)
        images.write_text("a file where the image directory should be")  # every save fails
        response = server.http(token).post(
            "/v1/images/generations", json={"prompt": "x"}, headers={"X-Request-Id": "trace-7"}
        )
        assert response.status_code == 500
    finally:
        server.stop()
    entries = [json.loads(line) for line in server.log.splitlines() if line.startswith("{")]
    failed = [e for e in entries if e["request_id"] == "trace-7"]
    assert failed and failed[0]["level"] == "error" and "Traceback" in failed[0]["exception"]
    assert all({"time", "level", "logger", "message", "request_id"} <= set(e) for e in entries)


def held_units(data_dir: Path) -> int:
    """Units still held in the ledger (read straight from the database file)."""
    with sqlite3.connect(data_dir / "atelier.sqlite3") as conn:
        row = conn.execute("SELECT COALESCE(SUM(units), 0) FROM ledger WHERE state = 'held'")
        return int(row.fetchone()[0])


def terminated_during_a_job(
    tmp_path: Path, grace: str, seconds: float
) -> tuple[Server, int | None]:
    """A slow server sent SIGTERM while a job of ``seconds`` runs, with ``grace`` seconds to
    drain; the server (exited) and the job's status (None: its connection was closed)."""
    server = start_slow_server(tmp_path, ATELIER_SHUTDOWN_GRACE_SECONDS=grace)
    token, watcher = server.create_user(credits=1000)[0], server.create_user()[0]
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            httpx.post,
            f"{server.url}/v1/images/generations",
            json={"prompt": f"sleep {seconds}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        wait_until(lambda: stats(server, watcher)["running"] == 1)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        try:
            status: int | None = running.result().status_code
        except httpx.HTTPError:
            status = None
    # uvicorn re-raises the SIGTERM once drained: the exit status says "terminated".
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    return server, status


def test_sigterm_lets_in_flight_jobs_finish(tmp_path: Path) -> None:
    server, status = terminated_during_a_job(tmp_path, grace="20", seconds=1.5)
    assert status == 200  # finished and delivered during the drain
    assert held_units(server.data_dir) == 0


def test_sigterm_past_the_grace_period_releases_the_hold(tmp_path: Path) -> None:
    server, status = terminated_during_a_job(tmp_path, grace="1", seconds=2.5)
    assert status != 200  # cut off
    assert held_units(server.data_dir) == 0  # released on the way out, not left to a restart
    with sqlite3.connect(server.data_dir / "atelier.sqlite3") as conn:
        rows = conn.execute("SELECT state FROM ledger WHERE units = 40").fetchall()
    assert [r[0] for r in rows] == ["released"]


def test_an_unknown_method_is_405_with_allow(server: Server) -> None:
    response = httpx.request("TRACE", f"{server.url}/v1/images/generations")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_the_openapi_document_is_whole(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    text = json.dumps(doc)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs <= set(doc["components"]["schemas"]) and "#/$defs/" not in text
    inpaint = doc["paths"]["/v1/images/inpaint"]["post"]
    assert "422" not in inpaint["responses"]
    assert {"400", "401", "402", "409", "413", "429", "503", "504"} <= set(inpaint["responses"])
    form = inpaint["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"image", "mask", "prompt"} <= set(form["required"])
