"""Gateway mode: what the upstream charged for a hold's work, beside our own charge, so an
operator sees the margin per user and per model (the reason names the model); and the ids
upstreams gave the custom styles created through atelier."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("upstream", sa.Text))  # ATELIER_UPSTREAMS' pattern
        batch.add_column(sa.Column("upstream_units", sa.BigInteger))  # its answer's credits
    op.create_table(
        "upstream_styles",
        # No foreign key: the upstream's id is kept before the style's row is written.
        sa.Column("style_id", sa.Text, primary_key=True),
        sa.Column("upstream", sa.Text, primary_key=True),
        sa.Column("upstream_style_id", sa.Text, nullable=False),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("upstream_styles")
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("upstream_units")
        batch.drop_column("upstream")
