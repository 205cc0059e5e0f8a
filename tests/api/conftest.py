"""Fixtures of the API tests: a live server whose engine is slow on request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import Server, free_port

# An engine of the test's own (ATELIER_ENGINE="module:Class"): the preview engine, slowed down
# by the number of seconds a prompt ends with, counting the jobs it started.
SLOW_ENGINE = """
import threading
import time

from atelier.engines.preview import PreviewEngine

_lock = threading.Lock()
_counts = {"started": 0, "running": 0}


class SlowEngine(PreviewEngine):
    name = "slow"

    def generate(self, spec):
        with _lock:
            _counts["started"] += 1
            _counts["running"] += 1
        try:
            words = spec.prompt.split()
            time.sleep(float(words[-1]) if words[0] == "sleep" else 0)
            return super().generate(spec)
        finally:
            with _lock:
                _counts["running"] -= 1

    def stats(self):
        with _lock:
            return dict(_counts)
"""
WORKERS = 8


@pytest.fixture(scope="session")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("slow")
    (root / "slow_engine.py").write_text(SLOW_ENGINE)
    env = {
        "ATELIER_ENGINE": "slow_engine:SlowEngine",
        "PYTHONPATH": str(root),
        "ATELIER_ENGINE_WORKERS": str(WORKERS),
        "ATELIER_JOB_TIMEOUT_SECONDS": "3",
    }
    server = Server(root / "data", free_port(), env)
    server.start()
    yield server
    server.stop()


def stats(server: Server, token: str) -> dict[str, int]:
    rows = server.http(token).get("/v1/models").json()["data"]
    return dict(rows[0]["engine_stats"])


def wait_until(condition: object, seconds: float = 30) -> None:
    """Poll a condition of the server's state (not a sleep standing in for one)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the server never reached the expected state"
        time.sleep(0.02)
