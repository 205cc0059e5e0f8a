"""The SQLite database: schema, per-thread connections and transactions."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    credits INTEGER NOT NULL CHECK (credits >= 0),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created REAL NOT NULL,
    revoked REAL
);
-- Every movement of credits: top-ups ('credited') and holds that end 'charged' or 'released'.
CREATE TABLE IF NOT EXISTS ledger (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    units INTEGER NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'charged', 'released', 'credited')),
    created REAL NOT NULL,
    settled REAL
);
CREATE INDEX IF NOT EXISTS ledger_state ON ledger(state);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    extension TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS images_expires ON images(expires);
CREATE TABLE IF NOT EXISTS styles (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    style TEXT NOT NULL,
    palette TEXT NOT NULL,
    images INTEGER NOT NULL,
    created REAL NOT NULL,
    substyle TEXT,
    is_private INTEGER NOT NULL DEFAULT 1,
    model TEXT,
    options TEXT NOT NULL DEFAULT '{}'  -- JSON: match, mix_policy, prompt, weights, ...
);
CREATE INDEX IF NOT EXISTS styles_user ON styles(user_id);
-- Idempotency-Key: one row per user and key; 'running' until its response is stored ('done').
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status INTEGER,
    content_type TEXT,
    body BLOB,
    created REAL NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency_keys(created);
-- The images each user asked for recently: the rate limit's sliding window, for every process.
CREATE TABLE IF NOT EXISTS rate_events (
    user_id TEXT NOT NULL,
    at REAL NOT NULL,
    images INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_user ON rate_events(user_id, at);
-- Work one server process at a time does (the sweep): who holds it, until when.
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL
);
-- Secrets every server process on this database shares (the URL-signing key).
CREATE TABLE IF NOT EXISTS server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Columns added after a table's first release, as (table, column, declaration): CREATE TABLE IF
# NOT EXISTS leaves a data dir made by an older atelier as it was, so they are added at start-up.
# Styles made before these existed were their owner's alone, hence is_private 1.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("styles", "substyle", "TEXT"),
    ("styles", "is_private", "INTEGER NOT NULL DEFAULT 1"),
    ("styles", "model", "TEXT"),
    ("styles", "options", "TEXT NOT NULL DEFAULT '{}'"),
    # Holds record the server process that took them and how long it vouches for them; holds
    # of an older atelier have neither and count as abandoned.
    ("ledger", "owner", "TEXT"),
    ("ledger", "lease_until", "REAL"),
)


def _private(path: Path) -> None:
    """Create the database file readable by its owner only, and make an older one so.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


class Database:
    """One SQLite file shared by the server and the CLI (WAL lets both work at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        _private(path)
        self._connection().executescript(SCHEMA)
        self._add_missing_columns()

    def _missing_columns(self, conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
        present: dict[str, set[str]] = {}
        for table, _, _ in ADDED_COLUMNS:
            if table not in present:
                rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
                present[table] = {row["name"] for row in rows}
        return [entry for entry in ADDED_COLUMNS if entry[1] not in present[entry[0]]]

    def _add_missing_columns(self) -> None:
        if not self._missing_columns(self._connection()):
            return
        # Checked again under the write lock: a CLI call may be migrating the same file.
        with self.transaction() as conn:
            for table, column, declaration in self._missing_columns(conn):
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN ourselves, so every transaction is explicit.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; IMMEDIATE takes the write lock up front so that
        read-then-write sequences of concurrent requests cannot interleave."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self._connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._connection().execute(sql, params).fetchone()
        return row

    def take_lease(self, name: str, owner: str, seconds: float, now: float | None = None) -> bool:
        """Whether ``owner`` holds the lease ``name`` for the next ``seconds`` (taken when it is
        free or expired, renewed when ``owner`` holds it): work one process at a time does."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO leases (name, owner, until) VALUES (?, ?, ?)",
                (name, owner, now + seconds),
            )
            taken = conn.execute(
                "UPDATE leases SET owner = ?, until = ? "
                "WHERE name = ? AND (owner = ? OR until < ?)",
                (owner, now + seconds, name, owner, now),
            ).rowcount
        return bool(taken)
