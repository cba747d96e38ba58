"""2: risk-based routes, holds, expiry, notifications, earned autonomy, a hash-chained audit."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers
from graphs.storage.migrations.helpers import rowid, serial

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT, INT, REAL = sa.Text, sa.Integer, sa.Float

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)
PG_TRIGGERS = (
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
    """CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
)


def upgrade() -> None:
    op.add_column("inbox", sa.Column("kind", TEXT, nullable=False, server_default="review"))
    op.add_column("inbox", sa.Column("due", REAL))
    op.add_column("inbox", sa.Column("batch", TEXT))
    op.add_column("audit", sa.Column("policy_version", TEXT))
    op.add_column("audit", sa.Column("prev_hash", TEXT))
    op.add_column("audit", sa.Column("hash", TEXT))
    helpers.run(*(PG_TRIGGERS if helpers.is_pg() else SQLITE_TRIGGERS))
    op.create_table(
        "notifications",
        serial("id"),
        sa.Column("ref", TEXT, nullable=False, unique=True),
        sa.Column("thread_id", TEXT),
        sa.Column("action_id", TEXT),
        sa.Column("action", TEXT),
        sa.Column("channel", TEXT),
        sa.Column("kind", TEXT, nullable=False),
        sa.Column("title", TEXT, nullable=False),
        sa.Column("message", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False),
        sa.Column("status", TEXT, nullable=False, server_default="open"),
        sa.Column("decided_by", TEXT),
        sa.Column("decided_at", TEXT),
        sa.Column("reason", TEXT),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "track",
        serial("id"),
        sa.Column("ref", TEXT, nullable=False, unique=True),
        sa.Column("at", TEXT, nullable=False),
        sa.Column("action", TEXT, nullable=False),
        sa.Column("channel", TEXT, nullable=False),
        sa.Column("outcome", TEXT, nullable=False),
        sa.Column("thread_id", TEXT),
        sa.Column("action_id", TEXT),
        sqlite_autoincrement=True,
    )
    op.create_index("track_action", "track", ["action", "channel", "id"])
    op.create_table(
        "autonomy",
        sa.Column("action", TEXT, primary_key=True),
        sa.Column("channel", TEXT, primary_key=True),
        sa.Column("level", TEXT, nullable=False),
        sa.Column("since", TEXT, nullable=False),
        sa.Column("decided_by", TEXT, nullable=False),
        sa.Column("track_from", INT, nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "proposals",
        sa.Column("thread_id", TEXT, primary_key=True),
        sa.Column("action_id", TEXT, primary_key=True),
        sa.Column("revision", INT, primary_key=True),
        sa.Column("action", TEXT, nullable=False),
        sa.Column("channel", TEXT, nullable=False),
        sa.Column("facts", TEXT, nullable=False),
        sa.Column("route", TEXT, nullable=False),
        sa.Column("level", TEXT, nullable=False),
        sa.Column("policy_version", TEXT, nullable=False),
        sa.Column("at", TEXT, nullable=False),
        sa.Column("day", TEXT, nullable=False),
        sa.Column("outcome", TEXT),
        *rowid(),
    )
    op.create_index("proposals_day", "proposals", ["action", "day", "route"])
    op.create_table(
        "reminders",
        sa.Column("interrupt_id", TEXT, primary_key=True),
        sa.Column("at", TEXT, nullable=False),
    )
    helpers.user_version(2)
