"""1: the spine's tables (campaigns, inbox, decisions, outbox, audit, leases)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers
from graphs.storage.migrations.helpers import rowid, serial

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TEXT, INT, REAL = sa.Text, sa.Integer, sa.Float


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("thread_id", TEXT, primary_key=True),
        sa.Column("brief", TEXT, nullable=False),
        sa.Column("status", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False),
        sa.Column("updated_at", TEXT, nullable=False),
        *rowid(),
    )
    op.create_table(
        "inbox",
        sa.Column("interrupt_id", TEXT, primary_key=True),
        sa.Column("thread_id", TEXT, nullable=False),
        sa.Column("action_id", TEXT, nullable=False),
        sa.Column("payload", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False),
        *rowid(),
    )
    op.create_index("inbox_thread", "inbox", ["thread_id"])
    op.create_table(
        "decisions",
        sa.Column("interrupt_id", TEXT, primary_key=True),
        sa.Column("thread_id", TEXT, nullable=False),
        sa.Column("action_id", TEXT, nullable=False),
        sa.Column("decision", TEXT, nullable=False),
        sa.Column("decided_by", TEXT, nullable=False),
        sa.Column("decided_at", TEXT, nullable=False),
        sa.Column("applied_at", TEXT),
        *rowid(),
    )
    unapplied = sa.text("applied_at IS NULL")
    op.create_index(
        "decisions_unapplied",
        "decisions",
        ["thread_id"],
        sqlite_where=unapplied,
        postgresql_where=unapplied,
    )
    op.create_table(
        "outbox",
        sa.Column("key", TEXT, primary_key=True),
        sa.Column("thread_id", TEXT, nullable=False),
        sa.Column("action_id", TEXT, nullable=False),
        sa.Column("name", TEXT, nullable=False),
        sa.Column("args", TEXT, nullable=False),
        sa.Column("status", TEXT, nullable=False),
        sa.Column("result", TEXT),
        sa.Column("attempts", INT, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TEXT, nullable=False),
        sa.Column("updated_at", TEXT, nullable=False),
        *rowid(),
    )
    op.create_index("outbox_thread", "outbox", ["thread_id"])
    op.create_table(
        "audit",
        serial("seq"),
        sa.Column("at", TEXT, nullable=False),
        sa.Column("thread_id", TEXT),
        sa.Column("actor", TEXT, nullable=False),
        sa.Column("event", TEXT, nullable=False),
        sa.Column("detail", TEXT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "leases",
        sa.Column("thread_id", TEXT, primary_key=True),
        sa.Column("owner", TEXT, nullable=False),
        sa.Column("expires", REAL, nullable=False),
    )
    helpers.user_version(1)
