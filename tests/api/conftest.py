"""Fixtures of the API tests: a live server whose engine is slow on request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, free_port

WORKERS = 8


def start_slow_server(root: Path, **env: str) -> Server:
    """A live server whose engine is tests.stand_ins.SlowEngine (slow on request), with ``env``
    on top of the defaults below."""
    defaults = {
        "ATELIER_ENGINE": "tests.stand_ins:SlowEngine",
        "ATELIER_ENGINE_WORKERS": str(WORKERS),
        "ATELIER_JOB_TIMEOUT_SECONDS": "3",
        "ATELIER_USER_JOBS": "64",  # one user floods the pools in test_jobs
    }
    server = Server(root / "data", free_port(), {**defaults, **env})
    server.start()
    return server


@pytest.fixture(scope="session")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_slow_server(tmp_path_factory.mktemp("slow"))
    yield server
    server.stop()


def metric(server: Server, name: str, **labels: str) -> float:
    """One sample of the server's Prometheus metrics (0 when it has none yet)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def stats(server: Server, token: str) -> dict[str, int]:
    rows = server.http(token).get("/v1/models").json()["data"]
    return dict(rows[0]["engine_stats"])


def wait_until(condition: object, seconds: float = 30) -> None:
    """Poll a condition of the server's state (not a sleep standing in for one)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the server never reached the expected state"
        time.sleep(0.02)
