"""The schema's versions: Alembic migrations, checked at start-up and applied by `atelier db
upgrade` (or `atelier serve --migrate`)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from atelier.database import Database

SCRIPTS = Path(__file__).parent
# Any fixed number: the PostgreSQL advisory lock that lets one process at a time migrate.
_MIGRATION_LOCK = 7_245_001


class SchemaMismatch(Exception):
    """The database's schema is not the one this atelier was written for."""


def _config(conn: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(db: Database) -> str | None:
    """The revision the database is at; None for an empty one or one made before Alembic."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not sa.inspect(conn).get_table_names()


def _refuse_if_newer(db: Database, revision: str | None) -> None:
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if revision is not None and revision not in known:
        raise SchemaMismatch(
            f"the database {db!r} has schema {revision}, which this atelier does not know "
            f"(it needs {head()}): it was written by a newer atelier; run that version"
        )


def upgrade(db: Database) -> tuple[str | None, str]:
    """Apply every migration the database lacks (to an empty one too); returns (from, to).

    One transaction, under a lock: another process migrating at the same moment waits, then
    finds nothing left to do."""
    with db.engine.connect() as conn:
        conn = conn.execution_options(atelier_write=True)  # SQLite: BEGIN IMMEDIATE
        with conn.begin():
            if db.dialect == "postgresql":
                conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
            before = MigrationContext.configure(conn).get_current_revision()
            _refuse_if_newer(db, before)
            command.upgrade(_config(conn), "head")
    return before, head()


def ensure_current(db: Database, migrate: bool = False) -> None:
    """Check that the schema is this code's before anything uses it.

    An empty database is created (there is nothing to lose); an older schema is upgraded only
    when ``migrate`` is given, else SchemaMismatch says what to run; a newer one (made by a
    later atelier) is always refused."""
    revision, wanted = current(db), head()
    if revision == wanted:
        return
    _refuse_if_newer(db, revision)
    if migrate or (revision is None and _is_empty(db)):
        upgrade(db)
        return
    raise SchemaMismatch(
        f"the database {db!r} has schema {revision or 'of an atelier before migrations'}, "
        f"older than this atelier's {wanted}: back it up, then run `atelier db upgrade` "
        "(or start with `atelier serve --migrate`)"
    )
