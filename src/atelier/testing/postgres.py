"""A throwaway PostgreSQL server for tests and benchmarks, from Debian's `postgresql` package:
initdb and pg_ctl in a temporary directory, on 127.0.0.1 and a free port, fresh databases on
demand. Nothing is downloaded; without the package, `start` says what to install."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MISSING = "PostgreSQL is not installed (Debian: apt-get install postgresql)"


def binaries() -> Path | None:
    """The newest installed server's bin directory, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Postgres:
    root: Path
    bin: Path
    port: int = field(default_factory=_free_port)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def _run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root; the test run may well be root (containers, CI).
        user = "nobody" if os.geteuid() == 0 else None
        done = subprocess.run(args, capture_output=True, text=True, user=user, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "nobody")
        data = str(self.root / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        # fsync off: a test database need not survive a power cut.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=300"
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", str(self.root / "log"),
                  "-w", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), then the directory goes.

        A signal, not `pg_ctl stop`: a process that has loaded gRPC (Ray's driver) runs gRPC's
        fork handlers in every child it forks to change user, and those can fail the child."""
        pid_file = self.root / "data" / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)  # waiting for the server to exit, not synchronising a result
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"atelier_{next(self._numbers)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start() -> Postgres:
    """A running server; raises LookupError when PostgreSQL is not installed."""
    bin_dir = binaries()
    if bin_dir is None:
        raise LookupError(MISSING)
    # Its own directory under /tmp: as `nobody` (see _run) it cannot enter pytest's root-only
    # temporary directories.
    server = Postgres(Path(tempfile.mkdtemp(prefix="atelier-pg-")), bin_dir)
    server.start()
    return server
