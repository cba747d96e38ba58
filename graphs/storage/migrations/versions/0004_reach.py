"""4: reaching reviewers (graphs/notify.py): one delivery per item, person and kind; who decided
each entry of the track record."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers
from graphs.storage.migrations.helpers import rowid

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TEXT, REAL = sa.Text, sa.Float


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("interrupt_id", TEXT, primary_key=True),
        sa.Column("person", TEXT, primary_key=True),
        sa.Column("kind", TEXT, primary_key=True),
        sa.Column("status", TEXT, nullable=False),
        sa.Column("seen", REAL, nullable=False),
        sa.Column("sent_at", TEXT),
        sa.Column("channels", TEXT),
        sa.Column("error", TEXT),
        *rowid(),
    )
    op.create_index("deliveries_status", "deliveries", ["status", "person"])
    op.add_column("track", sa.Column("decided_by", TEXT))
    op.create_table(
        "notify_prefs",
        sa.Column("person", TEXT, primary_key=True),
        sa.Column("mode", TEXT, nullable=False),
        sa.Column("updated_at", TEXT, nullable=False),
        sa.Column("last_digest", REAL),
    )
    helpers.user_version(4)
