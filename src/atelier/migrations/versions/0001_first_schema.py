"""The first schema: users, tokens, the ledger, images, styles, idempotency keys, the rate
limit's events, leases and shared secrets.

Data dirs made before atelier used migrations have these tables already, perhaps without the
columns added later; this revision adopts them: it creates what is missing and keeps every row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

metadata = sa.MetaData()
# Times are seconds since the epoch: double precision (PostgreSQL's REAL is single).
Time = sa.Double

sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text),
    sa.Column("credits", sa.BigInteger, sa.CheckConstraint("credits >= 0"), nullable=False),
    sa.Column("created", Time, nullable=False),
)
sa.Table(
    "tokens",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("revoked", Time),
)
# Every movement of credits: top-ups ('credited') and holds that end 'charged' or 'released'.
# A hold records the server process that took it (owner) and until when it vouches for it.
sa.Table(
    "ledger",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column(
        "state",
        sa.Text,
        sa.CheckConstraint("state IN ('held', 'charged', 'released', 'credited')"),
        nullable=False,
    ),
    sa.Column("created", Time, nullable=False),
    sa.Column("settled", Time),
    sa.Column("owner", sa.Text),
    sa.Column("lease_until", Time),
    sa.Index("ledger_state", "state"),
)
sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("extension", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("expires", Time, nullable=False),
    sa.Index("images_expires", "expires"),
)
sa.Table(
    "styles",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("style", sa.Text, nullable=False),
    sa.Column("palette", sa.Text, nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("substyle", sa.Text),
    # Styles made before is_private existed were their owner's alone, hence 1.
    sa.Column("is_private", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("model", sa.Text),
    # JSON: match, mix_policy, prompt, weights, ...
    sa.Column("options", sa.Text, nullable=False, server_default=sa.text("'{}'")),
    sa.Index("styles_user", "user_id"),
)
# Idempotency-Key: one row per user and key; 'running' until its response is stored ('done').
sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("state", sa.Text, sa.CheckConstraint("state IN ('running', 'done')"), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("content_type", sa.Text),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created", Time, nullable=False),
    sa.Index("idempotency_created", "created"),
)
# The images each user asked for recently: the rate limit's sliding window, for every process.
sa.Table(
    "rate_events",
    metadata,
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Index("rate_events_user", "user_id", "at"),
)
# Work one server process at a time does (the sweep): who holds it, until when.
sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("until", Time, nullable=False),
)
# Secrets every server process on this database shares (the URL-signing key).
sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present:
            table.create(bind)
            continue
        # A table of an atelier from before migrations: add the columns it lacks.
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                default = column.server_default
                op.add_column(
                    table.name,
                    sa.Column(
                        column.name,
                        column.type,
                        nullable=column.nullable,
                        server_default=default.arg if default is not None else None,  # type: ignore[attr-defined]
                    ),
                )
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind)
