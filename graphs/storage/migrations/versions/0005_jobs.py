"""5: the run queue (graph runs as jobs that workers claim under a lease)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers
from graphs.storage.migrations.helpers import serial

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TEXT, INT, REAL = sa.Text, sa.Integer, sa.Float


def upgrade() -> None:
    op.create_table(
        "jobs",
        serial("id"),
        sa.Column("kind", TEXT, nullable=False),
        sa.Column("thread_id", TEXT, nullable=False),
        sa.Column("payload", TEXT, nullable=False),
        sa.Column("status", TEXT, nullable=False),
        sa.Column("owner", TEXT),
        sa.Column("lease_until", REAL),
        sa.Column("attempts", INT, nullable=False, server_default=sa.text("0")),
        sa.Column("error", TEXT),
        sa.Column("created_at", TEXT, nullable=False),
        sa.Column("updated_at", TEXT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("jobs_todo", "jobs", ["status", "id"])
    helpers.user_version(5)
