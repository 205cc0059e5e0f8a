"""The schema's migrations: a data dir made before migrations upgrades in place (users, tokens,
balances, styles and the signing key intact), `atelier db upgrade` makes an empty database,
and a server refuses a schema that is not its own."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from atelier import migrations
from atelier.accounting.accounts import Accounts
from atelier.database import Database, sqlite_url
from tests import postgres
from tests.conftest import Server, free_port, run_cli

OLD_SCHEMA = Path(__file__).parent / "data" / "schema-before-migrations.sql"
TOKEN = "atl_made-by-the-release-before-migrations"


def data_dir_of_the_release_before(root: Path) -> Path:
    """A data dir as the last release before migrations left it, with a user, a token, a
    balance made of a top-up and a charge, a live image, a style and the signing key."""
    data_dir = root / "data"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "atelier.sqlite3") as conn:
        conn.executescript(OLD_SCHEMA.read_text())
        token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
        conn.executescript(
            f"""
            INSERT INTO users VALUES ('u1', 'old@example.com', 'Old', 960, 1700000000.25);
            INSERT INTO tokens VALUES ('{token_hash}', 'u1', 1700000000.5, NULL);
            INSERT INTO ledger VALUES ('l1', 'u1', 1000, 'top-up', 'credited', 1700000000, 1700000000, NULL, NULL);
            INSERT INTO ledger VALUES ('l2', 'u1', 40, 'generation', 'charged', 1700000001, 1700000002, 'p1', 1700000061);
            INSERT INTO images VALUES ('i1', 'u1', 'png', 1700000001, 4000000000);
            INSERT INTO styles VALUES ('s1', 'u1', 'icon', '[[1, 2, 3]]', 1, 1700000000.5, NULL, 0, NULL, '{{}}');
            INSERT INTO server_secrets VALUES ('url_signing', '{"ab" * 32}');
            """  # noqa: E501
        )
    return data_dir


def test_a_data_dir_made_before_migrations_is_refused_then_upgraded_in_place(
    tmp_path: Path,
) -> None:
    data_dir = data_dir_of_the_release_before(tmp_path)
    # Every command refuses it, saying what to run, and changes nothing.
    refused = run_cli(data_dir, "users", "create", "--email", "new@example.com")
    assert refused.returncode == 1
    error = json.loads(refused.stderr)
    assert error["code"] == "schema_outdated" and "atelier db upgrade" in error["message"]
    serve = subprocess.run(
        [sys.executable, "-m", "atelier", "serve", "--data-dir", str(data_dir),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert serve.returncode == 1 and "--migrate" in json.loads(serve.stderr)["message"]
    assert migrations.current(Database(sqlite_url(data_dir / "atelier.sqlite3"))) is None

    upgraded = run_cli(data_dir, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["to"] == migrations.head()
    status = json.loads(run_cli(data_dir, "db", "status").stdout)
    assert status["ok"] and status["current"] == migrations.head()

    db = Database(sqlite_url(data_dir / "atelier.sqlite3"))
    user = Accounts(db).authenticate(TOKEN)
    assert (user.id, user.email, user.credits) == ("u1", "old@example.com", 960)
    assert db.query_one("SELECT value FROM server_secrets")["value"] == "ab" * 32  # type: ignore[index]
    assert [r["state"] for r in db.query("SELECT state FROM ledger ORDER BY id")] == [
        "credited",
        "charged",
    ]
    # A second upgrade has nothing to do.
    again = json.loads(run_cli(data_dir, "db", "upgrade").stdout)
    assert again["from"] == again["to"] == migrations.head()


def test_serve_migrate_upgrades_and_serves_the_old_users(tmp_path: Path) -> None:
    data_dir = data_dir_of_the_release_before(tmp_path)
    server = Server(data_dir, free_port(), args=("--migrate",))
    server.start()
    try:
        me = server.http(TOKEN).get("/v1/users/me")
        assert me.status_code == 200 and me.json()["credits"] == 960
        styles = server.http(TOKEN).get("/v1/styles").json()["styles"]
        assert [s["id"] for s in styles] == ["s1"]
    finally:
        server.stop()


def test_an_older_style_table_gets_its_later_columns(tmp_path: Path) -> None:
    # Older still: the styles table of the first releases, before substyle, is_private, ...
    path = tmp_path / "atelier.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(
            """
            CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT,
                credits INTEGER NOT NULL CHECK (credits >= 0), created REAL NOT NULL);
            CREATE TABLE styles (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
                style TEXT NOT NULL, palette TEXT NOT NULL, images INTEGER NOT NULL,
                created REAL NOT NULL);
            INSERT INTO users VALUES ('u1', 'a@example.com', NULL, 100, 0);
            INSERT INTO styles VALUES ('s1', 'u1', 'icon', '[[1, 2, 3]]', 1, 1700000000.5);
            """
        )
    db = Database(sqlite_url(path))
    assert migrations.upgrade(db) == (None, migrations.head())
    row = db.query_one("SELECT * FROM styles")
    assert row is not None and row["is_private"] == 1 and row["options"] == "{}"
    assert {"tokens", "ledger", "images", "leases"} <= {
        r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    }


def test_db_upgrade_makes_an_empty_postgresql_database(
    tmp_path: Path, pg: postgres.Postgres
) -> None:
    url = pg.new_database()
    env = {"ATELIER_DATABASE_URL": url}
    assert json.loads(run_cli(tmp_path, "db", "status", env=env).stdout)["current"] is None
    done = run_cli(tmp_path, "db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["from"] is None
    assert "password" not in done.stdout  # the URL is shown without secrets
    made = run_cli(tmp_path, "users", "create", "--email", "pg@example.com", env=env)
    assert made.returncode == 0, made.stderr
    assert Accounts(Database(url)).by_email("pg@example.com").credits == 0
    assert not (tmp_path / "atelier.sqlite3").exists()  # nothing went to the data dir


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "atelier.sqlite3"))
    migrations.upgrade(db)
    with db.transaction() as tx:
        tx.execute("UPDATE alembic_version SET version_num = 'f00d'")
    with pytest.raises(migrations.SchemaMismatch, match="newer atelier"):
        migrations.ensure_current(db)
    with pytest.raises(migrations.SchemaMismatch, match="newer atelier"):
        migrations.ensure_current(db, migrate=True)


def test_an_empty_database_is_created_at_start(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "fresh" / "atelier.sqlite3"))
    migrations.ensure_current(db)
    assert migrations.current(db) == migrations.head()
    shutil.rmtree(tmp_path / "fresh")
