"""Paid work runs in bounded pools of its own, with a time limit: slow jobs never stall token
look-ups, a job past its limit is a 504 that charges nothing, a job whose client left before it
started never runs, and past the caps (queue length, jobs per user) a job is refused at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import WORKERS, metric, start_slow_server, stats, wait_until
from tests.conftest import Server, error_of


def test_slow_jobs_do_not_stall_token_lookups(slow: Server) -> None:
    token = slow.create_user()[0]
    other = slow.create_user()[0]

    def generate(_: int) -> int:
        body = {"prompt": "sleep 1.2", "n": 1}
        with slow.http(token) as http:
            return http.post("/v1/images/generations", json=body).status_code

    # More requests than the shared thread pool has threads (40): before jobs had pools of
    # their own, these held every thread and GET /v1/users/me waited behind them.
    with ThreadPoolExecutor(44) as pool:
        results = pool.map(generate, range(44))
        wait_until(lambda: stats(slow, other)["running"] == WORKERS)
        started = time.monotonic()
        me = slow.http(other).get("/v1/users/me")
        waited = time.monotonic() - started
        assert me.status_code == 200 and waited < 1.0, waited
        assert list(results) == [200] * 44


def test_a_job_past_its_time_limit_is_504_and_charges_nothing(slow: Server) -> None:
    token = slow.create_user(credits=1000)[0]
    response = slow.http(token).post("/v1/images/generations", json={"prompt": "sleep 4"})
    assert response.status_code == 504, response.text
    assert error_of(response)["code"] == "job_timeout"
    # The engine call itself cannot be interrupted; when it returns, the hold goes back.
    wait_until(lambda: slow.balance(token) == 1000, seconds=15)


def test_a_job_whose_client_left_before_it_started_never_runs(slow: Server, tmp_path: Path) -> None:
    token = slow.create_user(credits=1000)[0]
    watcher = slow.create_user()[0]
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    with ThreadPoolExecutor(WORKERS) as pool:
        busy = [
            pool.submit(
                slow.http(watcher).post, "/v1/images/generations", json={"prompt": "sleep 1.5"}
            )
            for _ in range(WORKERS)
        ]
        wait_until(lambda: stats(slow, watcher)["running"] == WORKERS)
        before = stats(slow, watcher)["started"]
        with pytest.raises(httpx.ReadTimeout):  # the client gives up while the job waits
            slow.http(token).post(
                "/v1/images/generations", json={"prompt": "a queued job"}, timeout=0.5
            )
        assert [f.result().status_code for f in busy] == [200] * WORKERS
    wait_until(lambda: stats(slow, watcher)["running"] == 0)
    assert stats(slow, watcher)["started"] == before  # the abandoned job never started
    assert slow.balance(token) == 1000


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two workers, two queue places, three jobs per user."""
    server = start_slow_server(
        tmp_path_factory.mktemp("capped"),
        ATELIER_ENGINE_WORKERS="2",
        ATELIER_JOB_QUEUE_LENGTH="2",
        ATELIER_USER_JOBS="3",
    )
    yield server
    server.stop()


def test_full_queues_and_busy_users_are_refused_at_once(capped: Server) -> None:
    first, second, third = (capped.create_user(credits=1000)[0] for _ in range(3))

    def generate(token: str) -> httpx.Response:
        with capped.http(token) as http:
            return http.post("/v1/images/generations", json={"prompt": "sleep 1.5"})

    with ThreadPoolExecutor(4) as pool:
        admitted = [pool.submit(generate, first) for _ in range(3)]
        wait_until(lambda: metric(capped, "atelier_jobs_in_flight", pool="engine") == 3)
        over_user = generate(first)  # a fourth job of the same user
        assert over_user.status_code == 429, over_user.text
        assert error_of(over_user)["code"] == "too_many_concurrent_jobs"
        assert int(over_user.headers["Retry-After"]) >= 1
        fourth = pool.submit(generate, second)  # fills the last queue place
        wait_until(lambda: metric(capped, "atelier_jobs_in_flight", pool="engine") == 4)
        busy = generate(third)
        assert busy.status_code == 503, busy.text
        assert error_of(busy)["code"] == "server_busy"
        assert int(busy.headers["Retry-After"]) >= 1
        assert [f.result().status_code for f in [*admitted, fourth]] == [200] * 4
    assert capped.balance(first) == 1000 - 3 * 40 and capped.balance(third) == 1000
    assert metric(capped, "atelier_jobs_refused_total", reason="server_busy") == 1
    assert metric(capped, "atelier_jobs_refused_total", reason="user_jobs") == 1
