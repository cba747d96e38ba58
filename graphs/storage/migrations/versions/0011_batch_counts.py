"""11: per-batch counters by kind, channel, risk and action, so a filtered inbox page reads
counters instead of counting a batch's drafts.

Under load (7–10 on 2 cores) the filtered pages (channel, risk, both, who can decide) took
50–137 ms at 100,000 pending, mostly on PostgreSQL: each counted a 10,000-draft batch's matching
drafts from the batch's index entries, on every page. `inbox_batch_counts` holds, per open batch,
how many of its undecided rows have each (kind, channel, risk, action); triggers keep it in the
same transaction as the rows it counts, whoever writes them (a batch indexed, a contact decided,
a batch's cover deleting the contacts "approve all" decided, a reindex), like revision 3's
counters. A row whose count reaches 0 goes, so the table holds only what is open.

A page still needs each batch's oldest matching draft (its lead): one probe per counter row on
`inbox_open_batch`, rebuilt here with every counter column in front of the row number, so that
probe is one index seek (with `amount` in the middle, as revision 10 had it, SQLite read every
draft of that kind to find the oldest).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXT, INT = sa.Text, sa.Integer

# the counter row of an old (OLD) or new (NEW) inbox row
_KEY = (
    "{c}thread_id = {r}.thread_id AND {c}batch = {r}.batch AND {c}kind = {r}.kind AND "
    "{c}channel = COALESCE({r}.channel, '') AND {c}risk = COALESCE({r}.risk, '') AND "
    "{c}action = {r}.action"
)

SQLITE_TRIGGERS = (
    # every UPDATE that changes what a batch's row counts as: the columns set after an insert
    # (revision 3's inbox_columns), a decision (inbox_decided)
    f"""CREATE TRIGGER inbox_batch_count_update AFTER UPDATE ON inbox
    WHEN (OLD.batch IS NOT NULL OR NEW.batch IS NOT NULL) AND NOT (
        OLD.decided IS NEW.decided AND OLD.thread_id IS NEW.thread_id
        AND OLD.batch IS NEW.batch AND OLD.kind IS NEW.kind AND OLD.channel IS NEW.channel
        AND OLD.risk IS NEW.risk AND OLD.action IS NEW.action)
    BEGIN
        UPDATE inbox_batch_counts SET n = n - 1
        WHERE OLD.decided = 0 AND {_KEY.format(c="", r="OLD")};
        DELETE FROM inbox_batch_counts WHERE n <= 0 AND {_KEY.format(c="", r="OLD")};
        INSERT INTO inbox_batch_counts
        SELECT NEW.thread_id, NEW.batch, NEW.kind, COALESCE(NEW.channel, ''),
            COALESCE(NEW.risk, ''), NEW.action, 1
        WHERE NEW.decided = 0 AND NEW.action IS NOT NULL AND NEW.batch IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER inbox_batch_count_delete AFTER DELETE ON inbox
    WHEN OLD.batch IS NOT NULL AND OLD.decided = 0 AND OLD.action IS NOT NULL
    BEGIN
        UPDATE inbox_batch_counts SET n = n - 1 WHERE {_KEY.format(c="", r="OLD")};
        DELETE FROM inbox_batch_counts WHERE n <= 0 AND {_KEY.format(c="", r="OLD")};
    END""",
)

PG_TRIGGERS = (
    f"""CREATE FUNCTION inbox_batch_count() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        left_n integer;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.decided = OLD.decided AND NEW.thread_id = OLD.thread_id
            AND NEW.batch IS NOT DISTINCT FROM OLD.batch AND NEW.kind = OLD.kind
            AND NEW.channel IS NOT DISTINCT FROM OLD.channel
            AND NEW.risk IS NOT DISTINCT FROM OLD.risk
            AND NEW.action IS NOT DISTINCT FROM OLD.action THEN
            RETURN NULL;  -- nothing it counts as changed (e.g. the amount)
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.batch IS NOT NULL AND OLD.decided = 0
            AND OLD.action IS NOT NULL THEN
            UPDATE inbox_batch_counts c SET n = c.n - 1 WHERE {_KEY.format(c="c.", r="OLD")}
            RETURNING c.n INTO left_n;
            IF left_n <= 0 THEN
                DELETE FROM inbox_batch_counts c WHERE {_KEY.format(c="c.", r="OLD")};
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.batch IS NOT NULL AND NEW.decided = 0
            AND NEW.action IS NOT NULL THEN
            INSERT INTO inbox_batch_counts AS c VALUES (NEW.thread_id, NEW.batch, NEW.kind,
                COALESCE(NEW.channel, ''), COALESCE(NEW.risk, ''), NEW.action, 1)
            ON CONFLICT (thread_id, batch, kind, channel, risk, action)
            DO UPDATE SET n = c.n + 1;
        END IF;
        RETURN NULL;
    END $$""",
    # one trigger per event, so that a single's row (no batch) never calls the function
    """CREATE TRIGGER inbox_batch_count_insert AFTER INSERT ON inbox
    FOR EACH ROW WHEN (NEW.batch IS NOT NULL) EXECUTE FUNCTION inbox_batch_count()""",
    """CREATE TRIGGER inbox_batch_count_update AFTER UPDATE ON inbox
    FOR EACH ROW WHEN (OLD.batch IS NOT NULL OR NEW.batch IS NOT NULL)
    EXECUTE FUNCTION inbox_batch_count()""",
    """CREATE TRIGGER inbox_batch_count_delete AFTER DELETE ON inbox
    FOR EACH ROW WHEN (OLD.batch IS NOT NULL) EXECUTE FUNCTION inbox_batch_count()""",
)

BACKFILL = (
    "INSERT INTO inbox_batch_counts SELECT thread_id, batch, kind, COALESCE(channel, ''),"
    " COALESCE(risk, ''), action, COUNT(*) FROM inbox WHERE decided = 0 AND action IS NOT NULL"
    " AND batch IS NOT NULL GROUP BY thread_id, batch, kind, COALESCE(channel, ''),"
    " COALESCE(risk, ''), action"
)


def upgrade() -> None:
    op.create_table(
        "inbox_batch_counts",
        sa.Column("thread_id", TEXT, primary_key=True),
        sa.Column("batch", TEXT, primary_key=True),
        sa.Column("kind", TEXT, primary_key=True),
        sa.Column("channel", TEXT, primary_key=True),
        sa.Column("risk", TEXT, primary_key=True),
        sa.Column("action", TEXT, primary_key=True),
        sa.Column("n", INT, nullable=False),
    )
    pg = helpers.is_pg()
    helpers.run(*(PG_TRIGGERS if pg else SQLITE_TRIGGERS), BACKFILL)
    # a batch's open rows by every counter column, then the row number (SQLite's indexes end in
    # rowid anyway): the oldest open row of one counter row is one seek
    open_batch = sa.text("decided = 0 AND batch IS NOT NULL")
    op.drop_index("inbox_open_batch", "inbox")
    op.create_index(
        "inbox_open_batch",
        "inbox",
        ["thread_id", "batch", "kind", "channel", "risk", "action", *(["rowid"] if pg else [])],
        sqlite_where=open_batch,
        postgresql_where=open_batch,
    )
    # a batch's rows with an amount (a batch of ad spends; audiences are emails: none): what a
    # threshold of "who can decide" adds to a batch's counters, without reading the singles'
    # amounts (revision 10's inbox_open_amount holds every open row with an amount)
    with_amount = sa.text("decided = 0 AND batch IS NOT NULL AND amount IS NOT NULL")
    op.create_index(
        "inbox_open_batch_amount",
        "inbox",
        ["action", "kind", "amount", "channel", "risk", "thread_id", "batch"],
        sqlite_where=with_amount,
        postgresql_where=with_amount,
    )
    helpers.user_version(11)
