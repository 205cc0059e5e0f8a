"""Several server processes on one data dir (live servers, one SQLite database): a replica
that starts never touches another's live credit holds, and the holds of a replica killed with
SIGKILL are released once their lease runs out, never charged."""

from __future__ import annotations

import signal
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.api.conftest import start_slow_server, stats, wait_until
from tests.conftest import Server, free_port


def ledger_states(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "atelier.sqlite3") as conn:
        rows = conn.execute("SELECT state FROM ledger WHERE reason LIKE 'generation%'")
        return [row[0] for row in rows.fetchall()]


def generate_in_background(
    pool: ThreadPoolExecutor, server: Server, token: str, prompt: str
) -> Future[httpx.Response]:
    return pool.submit(
        httpx.post,
        f"{server.url}/v1/images/generations",
        json={"prompt": prompt},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_a_replica_starting_leaves_another_s_holds_alone(tmp_path: Path) -> None:
    first = start_slow_server(tmp_path)
    token, watcher = first.create_user(credits=1000)[0], first.create_user()[0]
    second = Server(first.data_dir, free_port(), first.env)  # the same data dir and database
    try:
        with ThreadPoolExecutor(1) as pool:
            running = generate_in_background(pool, first, token, "sleep 2")
            wait_until(lambda: stats(first, watcher)["running"] == 1)
            second.start()  # its start-up releases abandoned holds: not this live one
            assert running.result().status_code == 200
        assert first.balance(token) == second.balance(token) == 1000 - 40
        assert ledger_states(first.data_dir) == ["charged"]
    finally:
        second.stop()
        first.stop()


def test_a_killed_replica_s_holds_are_released_after_their_lease(tmp_path: Path) -> None:
    env = {"ATELIER_HOLD_LEASE_SECONDS": "2", "ATELIER_SWEEP_INTERVAL_SECONDS": "0.5"}
    first = start_slow_server(tmp_path, **env)
    token, watcher = first.create_user(credits=1000)[0], first.create_user()[0]
    with ThreadPoolExecutor(1) as pool:
        cut_off = generate_in_background(pool, first, token, "sleep 10")
        wait_until(lambda: stats(first, watcher)["running"] == 1)
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
        assert isinstance(cut_off.exception(), httpx.HTTPError)
    assert ledger_states(first.data_dir) == ["held"]
    second = Server(first.data_dir, free_port(), first.env)
    second.start()
    try:
        wait_until(lambda: ledger_states(first.data_dir) == ["released"])
        assert second.balance(token) == 1000  # given back, never charged
    finally:
        second.stop()


def test_the_rate_limit_counts_every_replica(tmp_path: Path) -> None:
    env = {"ATELIER_RATE_LIMIT_IMAGES": "5", "ATELIER_RATE_LIMIT_WINDOW_SECONDS": "600"}
    first = start_slow_server(tmp_path, **env)
    second = Server(first.data_dir, free_port(), first.env)
    second.start()
    try:
        token = first.create_user()[0]

        def generate(server: Server, n: int) -> int:
            body = {"prompt": "x", "n": n}
            return server.http(token).post("/v1/images/generations", json=body).status_code

        assert generate(first, 3) == 200
        assert generate(second, 3) == 429  # 3 + 3 > 5, whichever replica counts
        assert generate(second, 2) == 200
        assert generate(first, 1) == 429
    finally:
        second.stop()
        first.stop()
