"""Shared by the benchmarks: a live server in a temporary data dir, with a funded user."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from atelier.accounting.accounts import Accounts
from atelier.database import Database, sqlite_url


@dataclass(frozen=True)
class LiveServer:
    url: str
    token: str
    pid: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def live_server(
    port: int, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """``extra_env``: more ATELIER_* (and AWS_*) settings, e.g. another database or store."""
    with TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = {**os.environ, "ATELIER_RATE_LIMIT_IMAGES": "1000000", "ATELIER_BOOTSTRAP_EMAIL": "",
               "ATELIER_WORKERS": str(workers), **(extra_env or {})}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "atelier", "serve", "--data-dir", str(data_dir),
             "--port", str(port), "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.05)
            database = env.get("ATELIER_DATABASE_URL") or sqlite_url(data_dir / "atelier.sqlite3")
            accounts = Accounts(Database(database))
            user = accounts.create_user("bench@example.com", credits=10**12)
            yield LiveServer(url, accounts.create_token(user.id), process.pid)
        finally:
            process.terminate()
            process.wait()
