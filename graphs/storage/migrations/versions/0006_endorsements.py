"""6: endorsements (graphs/approvals.py created this table itself before: IF NOT EXISTS keeps
the SQLite files that already have it)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers
from graphs.storage.migrations.helpers import rowid

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TEXT = sa.Text


def upgrade() -> None:
    op.create_table(
        "endorsements",
        sa.Column("interrupt_id", TEXT, primary_key=True),
        sa.Column("person", TEXT, primary_key=True),
        sa.Column("content_hash", TEXT, nullable=False),
        sa.Column("at", TEXT, nullable=False),
        *rowid(),
        if_not_exists=True,
    )
    helpers.user_version(6)
