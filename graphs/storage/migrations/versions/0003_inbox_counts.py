"""3: an inbox that stays fast: open rows and their filters in indexed columns, and counts of
open rows (per kind, channel, risk, action; per batch), all kept by triggers whoever writes a
decision or the index; indexes for the pages and the sidebar's counts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT, INT = sa.Text, sa.Integer

SQLITE_TRIGGERS = (
    """CREATE TRIGGER inbox_count_update AFTER UPDATE ON inbox
    BEGIN
        UPDATE inbox_counts SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND kind = OLD.kind
            AND channel = COALESCE(OLD.channel, '') AND risk = COALESCE(OLD.risk, '')
            AND action = OLD.action AND batched = (OLD.batch IS NOT NULL);
        UPDATE inbox_batches SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND OLD.batch IS NOT NULL
            AND thread_id = OLD.thread_id AND batch = OLD.batch AND kind = OLD.kind;
        INSERT INTO inbox_counts
        SELECT NEW.kind, COALESCE(NEW.channel, ''), COALESCE(NEW.risk, ''), NEW.action,
            NEW.batch IS NOT NULL, 1
        WHERE NEW.decided = 0 AND NEW.action IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO inbox_batches SELECT NEW.thread_id, NEW.batch, NEW.kind, 1
        WHERE NEW.decided = 0 AND NEW.action IS NOT NULL AND NEW.batch IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER inbox_count_delete AFTER DELETE ON inbox
    BEGIN
        UPDATE inbox_counts SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND kind = OLD.kind
            AND channel = COALESCE(OLD.channel, '') AND risk = COALESCE(OLD.risk, '')
            AND action = OLD.action AND batched = (OLD.batch IS NOT NULL);
        UPDATE inbox_batches SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND OLD.batch IS NOT NULL
            AND thread_id = OLD.thread_id AND batch = OLD.batch AND kind = OLD.kind;
    END""",
    """CREATE TRIGGER inbox_columns AFTER INSERT ON inbox
    BEGIN
        UPDATE inbox SET action = json_extract(NEW.payload, '$.action.name'),
            channel = json_extract(NEW.payload, '$.channel'),
            risk = json_extract(NEW.payload, '$.risk'),
            decided = EXISTS (SELECT 1 FROM decisions WHERE interrupt_id = NEW.interrupt_id)
        WHERE rowid = NEW.rowid;
    END""",
    """CREATE TRIGGER inbox_decided AFTER INSERT ON decisions
    BEGIN UPDATE inbox SET decided = 1 WHERE interrupt_id = NEW.interrupt_id; END""",
)

# The same rules in PL/pgSQL: the filter columns are set before the row is written; one AFTER
# trigger takes an old row's count out and puts a new row's in.
PG_TRIGGERS = (
    """CREATE FUNCTION json_extract(doc text, path text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT doc::jsonb #>> string_to_array(substr(path, 3), '.') $$""",
    """CREATE FUNCTION inbox_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.action := json_extract(NEW.payload, '$.action.name');
        NEW.channel := json_extract(NEW.payload, '$.channel');
        NEW.risk := json_extract(NEW.payload, '$.risk');
        NEW.decided := (EXISTS (SELECT 1 FROM decisions d
                                WHERE d.interrupt_id = NEW.interrupt_id))::int;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER inbox_columns BEFORE INSERT ON inbox
    FOR EACH ROW EXECUTE FUNCTION inbox_columns()""",
    """CREATE FUNCTION inbox_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.decided = 0 AND OLD.action IS NOT NULL THEN
            UPDATE inbox_counts c SET n = c.n - 1
            WHERE c.kind = OLD.kind AND c.channel = COALESCE(OLD.channel, '')
                AND c.risk = COALESCE(OLD.risk, '') AND c.action = OLD.action
                AND c.batched = (OLD.batch IS NOT NULL)::int;
            IF OLD.batch IS NOT NULL THEN
                UPDATE inbox_batches b SET n = b.n - 1
                WHERE b.thread_id = OLD.thread_id AND b.batch = OLD.batch AND b.kind = OLD.kind;
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.decided = 0 AND NEW.action IS NOT NULL THEN
            INSERT INTO inbox_counts AS c VALUES (NEW.kind, COALESCE(NEW.channel, ''),
                COALESCE(NEW.risk, ''), NEW.action, (NEW.batch IS NOT NULL)::int, 1)
            ON CONFLICT (kind, channel, risk, action, batched) DO UPDATE SET n = c.n + 1;
            IF NEW.batch IS NOT NULL THEN
                INSERT INTO inbox_batches AS b VALUES (NEW.thread_id, NEW.batch, NEW.kind, 1)
                ON CONFLICT (thread_id, batch, kind) DO UPDATE SET n = b.n + 1;
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER inbox_count AFTER INSERT OR UPDATE OR DELETE ON inbox
    FOR EACH ROW EXECUTE FUNCTION inbox_count()""",
    """CREATE FUNCTION inbox_decided() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE inbox SET decided = 1 WHERE interrupt_id = NEW.interrupt_id AND decided = 0;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER inbox_decided AFTER INSERT ON decisions
    FOR EACH ROW EXECUTE FUNCTION inbox_decided()""",
)

BACKFILL = (
    "UPDATE inbox SET decided = 1 WHERE interrupt_id IN (SELECT interrupt_id FROM decisions)",
    "UPDATE inbox SET action = json_extract(payload, '$.action.name'),"
    " channel = json_extract(payload, '$.channel'), risk = json_extract(payload, '$.risk')",
)


def upgrade() -> None:
    op.add_column("inbox", sa.Column("decided", INT, nullable=False, server_default=sa.text("0")))
    op.add_column("inbox", sa.Column("action", TEXT))
    op.add_column("inbox", sa.Column("channel", TEXT))
    op.add_column("inbox", sa.Column("risk", TEXT))
    op.create_table(
        "inbox_counts",
        sa.Column("kind", TEXT, primary_key=True),
        sa.Column("channel", TEXT, primary_key=True),
        sa.Column("risk", TEXT, primary_key=True),
        sa.Column("action", TEXT, primary_key=True),
        sa.Column("batched", INT, primary_key=True),
        sa.Column("n", INT, nullable=False),
    )
    op.create_table(
        "inbox_batches",
        sa.Column("thread_id", TEXT, primary_key=True),
        sa.Column("batch", TEXT, primary_key=True),
        sa.Column("kind", TEXT, primary_key=True),
        sa.Column("n", INT, nullable=False),
    )
    helpers.run(*(PG_TRIGGERS if helpers.is_pg() else SQLITE_TRIGGERS), *BACKFILL)
    open_rows = sa.text("decided = 0")
    for name, columns in (
        ("inbox_open", ["kind", "created_at"]),
        ("inbox_open_thread", ["thread_id", "kind", "created_at"]),
        ("inbox_open_channel", ["channel", "kind", "created_at"]),
        ("inbox_open_risk", ["risk", "kind", "created_at"]),
    ):
        op.create_index(name, "inbox", columns, sqlite_where=open_rows, postgresql_where=open_rows)
    open_batch = sa.text("decided = 0 AND batch IS NOT NULL")
    op.create_index(
        "inbox_open_batch",
        "inbox",
        ["thread_id", "batch", "kind", "channel", "risk", "action"],
        sqlite_where=open_batch,
        postgresql_where=open_batch,
    )
    op.create_index("outbox_status", "outbox", ["status"])
    op.create_index("notifications_status", "notifications", ["status"])
    helpers.user_version(3)
