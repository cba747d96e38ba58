"""14: an inbox row is written once: its filter columns come with its INSERT.

Until revision 13 an inbox row's filter columns (action, channel, risk, amount, decided) were
filled after it was written: on SQLite by an AFTER INSERT trigger that UPDATEd the row just
inserted (rewriting it and its partial indexes) and, through that UPDATE, counted it; on
PostgreSQL by a BEFORE INSERT trigger that parsed the payload again. Every run's sync inserts
rows, so that was ~9 statements per row on SQLite where 2 do.

Now the app fills the columns in its INSERT (graphs/storage/inbox.py `inbox_columns`, the same
values as the trigger's `json_extract`s; `decided` from the decisions table in the same
statement), and:

- SQLite: AFTER INSERT triggers count the new row (`inbox_counts`; a batch's row in
  `inbox_batches` and `inbox_batch_counts` too), as revisions 3 and 11's UPDATE triggers did; the old `inbox_columns`
  trigger stays for an INSERT that leaves `action` NULL (one that does not know the columns: an
  older writer, a test's row, a payload whose action has no plain name), and fills and counts
  that row as before. The DELETE trigger runs only for a row it counts (open, with an action).
- PostgreSQL: the BEFORE INSERT trigger computes the columns only for such a row.

Nothing stored changes: the counters and columns of the rows already there are kept.
"""

from __future__ import annotations

from graphs.storage.migrations import helpers

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SQLITE_AMOUNT = (
    "CASE WHEN json_type(NEW.payload, '$.action.args.amount') IN ('integer', 'real') "
    "THEN json_extract(NEW.payload, '$.action.args.amount') END"
)

SQLITE_TRIGGERS = (
    "DROP TRIGGER inbox_columns",
    # revision 10's, for a row inserted without its columns only
    f"""CREATE TRIGGER inbox_columns AFTER INSERT ON inbox WHEN NEW.action IS NULL
    BEGIN
        UPDATE inbox SET action = json_extract(NEW.payload, '$.action.name'),
            channel = json_extract(NEW.payload, '$.channel'),
            risk = json_extract(NEW.payload, '$.risk'),
            amount = {SQLITE_AMOUNT},
            decided = EXISTS (SELECT 1 FROM decisions WHERE interrupt_id = NEW.interrupt_id)
        WHERE rowid = NEW.rowid;
    END""",
    # a row inserted with its columns: counted as revision 3's and 11's UPDATE triggers count
    """CREATE TRIGGER inbox_count_insert AFTER INSERT ON inbox
    WHEN NEW.decided = 0 AND NEW.action IS NOT NULL
    BEGIN
        INSERT INTO inbox_counts
        SELECT NEW.kind, COALESCE(NEW.channel, ''), COALESCE(NEW.risk, ''), NEW.action,
            NEW.batch IS NOT NULL, 1
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER inbox_batch_count_insert AFTER INSERT ON inbox
    WHEN NEW.batch IS NOT NULL AND NEW.decided = 0 AND NEW.action IS NOT NULL
    BEGIN
        INSERT INTO inbox_batches SELECT NEW.thread_id, NEW.batch, NEW.kind, 1
        ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO inbox_batch_counts
        SELECT NEW.thread_id, NEW.batch, NEW.kind, COALESCE(NEW.channel, ''),
            COALESCE(NEW.risk, ''), NEW.action, 1
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    # revision 3's, run only for a row it counts (a decided row's count went with its decision)
    "DROP TRIGGER inbox_count_delete",
    """CREATE TRIGGER inbox_count_delete AFTER DELETE ON inbox
    WHEN OLD.decided = 0 AND OLD.action IS NOT NULL
    BEGIN
        UPDATE inbox_counts SET n = n - 1
        WHERE kind = OLD.kind
            AND channel = COALESCE(OLD.channel, '') AND risk = COALESCE(OLD.risk, '')
            AND action = OLD.action AND batched = (OLD.batch IS NOT NULL);
        UPDATE inbox_batches SET n = n - 1
        WHERE OLD.batch IS NOT NULL
            AND thread_id = OLD.thread_id AND batch = OLD.batch AND kind = OLD.kind;
    END""",
)

PG_AMOUNT = (
    "CASE WHEN jsonb_typeof(doc #> '{action,args,amount}') = 'number' "
    "THEN (doc #>> '{action,args,amount}')::float8 END"
)

PG_TRIGGERS = (  # revision 10's function, for a row inserted without its columns only
    f"""CREATE OR REPLACE FUNCTION inbox_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        doc jsonb;
    BEGIN
        IF NEW.action IS NOT NULL THEN
            RETURN NEW;  -- the INSERT gave the columns
        END IF;
        doc := NEW.payload::jsonb;
        NEW.action := doc #>> '{{action,name}}';
        NEW.channel := doc #>> '{{channel}}';
        NEW.risk := doc #>> '{{risk}}';
        NEW.amount := {PG_AMOUNT};
        NEW.decided := (EXISTS (SELECT 1 FROM decisions d
                                WHERE d.interrupt_id = NEW.interrupt_id))::int;
        RETURN NEW;
    END $$""",
)


def upgrade() -> None:
    helpers.run(*(PG_TRIGGERS if helpers.is_pg() else SQLITE_TRIGGERS))
    helpers.user_version(14)
