"""Alembic's entry point: runs the migrations on the connection atelier hands it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from atelier.config import Settings

connection = context.config.attributes.get("connection")
if connection is None:
    # Run by the `alembic` command itself (making a new revision): the configured database.
    engine = sa.create_engine(Settings().database)
    with engine.begin() as connection:
        context.configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    # atelier's own upgrade: the caller holds the transaction (and its lock) and commits it.
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
