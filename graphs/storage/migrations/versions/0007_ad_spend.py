"""7: the ad-spend ledger (tools/ads.py) in the shared database, on PostgreSQL only: there every
machine books against the same budgets. A SQLite data directory keeps its ledger in
`<home>/ledger.db`, as before (one machine; nothing to share)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT, INT = sa.Text, sa.Integer


def upgrade() -> None:
    if helpers.is_pg():
        op.create_table(
            "ad_spend",
            sa.Column("client_reference_id", TEXT, primary_key=True),
            sa.Column("key", TEXT, nullable=False),
            sa.Column("thread_id", TEXT, nullable=False),
            sa.Column("action_id", TEXT, nullable=False),
            sa.Column("amount_cents", INT, nullable=False),
            sa.Column("currency", TEXT, nullable=False),
            sa.Column("description", TEXT, nullable=False),
            sa.Column("day", TEXT, nullable=False),
            sa.Column("status", TEXT, nullable=False),
            sa.Column("platform", TEXT),
            sa.Column("created_at", TEXT, nullable=False),
            sa.Column("updated_at", TEXT, nullable=False),
            if_not_exists=True,
        )
    helpers.user_version(7)
