"""The database: one SQLAlchemy engine (SQLite or PostgreSQL), transactions and plain SQL."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

Params = Mapping[str, Any]
# The first half of the two-number advisory locks of Transaction.serialise (any fixed number).
_SERIALISE_SPACE = 7245


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _private(path: Path) -> None:
    """Create the database file readable by its owner only, and make an older one so.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


@functools.lru_cache(maxsize=512)
def _statement(sql: str) -> sa.TextClause:
    return sa.text(sql)


class Transaction:
    """One open transaction. Statements are SQL text with ``:name`` parameters, written once
    for every back-end (the SQL both SQLite and PostgreSQL speak)."""

    def __init__(self, conn: sa.Connection, advisory_locks: bool) -> None:
        self._conn = conn
        self._advisory_locks = advisory_locks

    def execute(self, sql: str, params: Params | Sequence[Params] | None = None) -> int:
        """Run a statement (or one per parameter set); returns the rows it changed."""
        result = self._conn.execute(_statement(sql), params if params is not None else {})
        return int(result.rowcount)

    def rows(self, sql: str, params: Params | None = None) -> list[RowMapping]:
        return list(self._conn.execute(_statement(sql), params or {}).mappings())

    def row(self, sql: str, params: Params | None = None) -> RowMapping | None:
        return self._conn.execute(_statement(sql), params or {}).mappings().first()

    def serialise(self, key: str) -> None:
        """Serialise this transaction with every other that serialises on ``key`` until it
        ends: what a read-then-write sequence (the rate limit's count of a user) needs.

        SQLite's write transactions are serial already. PostgreSQL takes an advisory lock on
        the key's hash, not a row lock: a row lock on the user would also wait for, and
        deadlock with, the key-share locks every insert of a row referencing the user takes."""
        if self._advisory_locks:
            self.execute(
                "SELECT pg_advisory_xact_lock(:space, hashtext(:key))",
                {"space": _SERIALISE_SPACE, "key": key},
            )


class Database:
    """The database every server process and CLI call shares, from ``ATELIER_DATABASE_URL``.

    SQLite (the default, a file in the data dir) runs in WAL mode, and its write transactions
    take the write lock up front (BEGIN IMMEDIATE), so that read-then-write sequences of
    concurrent requests cannot interleave. PostgreSQL runs at READ COMMITTED: statements that
    must not interleave are single conditional UPDATEs/DELETEs, or serialise on a key first.
    The schema is Alembic's (``atelier.migrations``), not made here."""

    def __init__(self, url: str | sa.URL) -> None:
        self.url = sa.make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                _private(Path(self.url.database))
            self.engine = sa.create_engine(
                self.url, connect_args={"timeout": 30.0}, pool_size=8, max_overflow=32
            )
            sa.event.listen(self.engine, "connect", _sqlite_connected)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        else:
            # pre_ping: a replica outlives database restarts and fail-overs.
            self.engine = sa.create_engine(
                self.url, pool_size=8, max_overflow=24, pool_pre_ping=True
            )

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction, committed when the block ends and rolled back on error."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(atelier_write=True)
            with conn.begin():
                yield Transaction(conn, advisory_locks=self.dialect == "postgresql")

    def query(self, sql: str, params: Params | None = None) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(_statement(sql), params or {}).mappings())

    def query_one(self, sql: str, params: Params | None = None) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(_statement(sql), params or {}).mappings().first()

    def take_lease(self, name: str, owner: str, seconds: float, now: float | None = None) -> bool:
        """Whether ``owner`` holds the lease ``name`` for the next ``seconds`` (taken when it is
        free or expired, renewed when ``owner`` holds it): work one process at a time does."""
        now = time.time() if now is None else now
        values = {"name": name, "owner": owner, "until": now + seconds, "now": now}
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO leases (name, owner, until) VALUES (:name, :owner, :until) "
                "ON CONFLICT (name) DO NOTHING",
                values,
            )
            taken = tx.execute(
                "UPDATE leases SET owner = :owner, until = :until "
                "WHERE name = :name AND (owner = :owner OR until < :now)",
                values,
            )
        return bool(taken)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level=None: the driver issues no BEGIN of its own; _sqlite_begin does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Reads begin DEFERRED (a snapshot, no lock); writes take the write lock up front.
    write = conn.get_execution_options().get("atelier_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
