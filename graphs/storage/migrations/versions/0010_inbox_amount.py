"""10: the inbox at 100,000 pending (1,000,000 campaigns) on both databases.

- The amount of an inbox row's action (an ad spend's `amount`, when it is a number) in an indexed
  column the insert trigger keeps, like `action`, `channel` and `risk` (revision 3): the "who can
  decide" filter tests thresholds on amounts against it, so a page and its counts never parse
  every open row's payload (1.6 s at 100,000 pending, where a page must take < 50 ms).
- A batch's open entries indexed with every filter column and the row number, so its oldest
  matching draft and their count come from the index (a 10,000-draft batch's lead took 34 ms on
  PostgreSQL, reading every draft of the batch).
- Singles (drafts outside a batch) indexed in page order, overall and per campaign.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_AMOUNT = (
    "CASE WHEN json_type({doc}, '$.action.args.amount') IN ('integer', 'real') "
    "THEN json_extract({doc}, '$.action.args.amount') END"
)
PG_AMOUNT = (
    "CASE WHEN jsonb_typeof({doc}::jsonb #> '{{action,args,amount}}') = 'number' "
    "THEN ({doc}::jsonb #>> '{{action,args,amount}}')::float8 END"
)

# revision 3's triggers, with the amount set beside the other columns
SQLITE_TRIGGERS = (
    "DROP TRIGGER inbox_columns",
    f"""CREATE TRIGGER inbox_columns AFTER INSERT ON inbox
    BEGIN
        UPDATE inbox SET action = json_extract(NEW.payload, '$.action.name'),
            channel = json_extract(NEW.payload, '$.channel'),
            risk = json_extract(NEW.payload, '$.risk'),
            amount = {SQLITE_AMOUNT.format(doc="NEW.payload")},
            decided = EXISTS (SELECT 1 FROM decisions WHERE interrupt_id = NEW.interrupt_id)
        WHERE rowid = NEW.rowid;
    END""",
)
PG_TRIGGERS = (  # and the payload parsed once per row, not once per column
    f"""CREATE OR REPLACE FUNCTION inbox_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        doc jsonb := NEW.payload::jsonb;
    BEGIN
        NEW.action := doc #>> '{{action,name}}';
        NEW.channel := doc #>> '{{channel}}';
        NEW.risk := doc #>> '{{risk}}';
        NEW.amount := {PG_AMOUNT.format(doc="doc").replace("doc::jsonb", "doc")};
        NEW.decided := (EXISTS (SELECT 1 FROM decisions d
                                WHERE d.interrupt_id = NEW.interrupt_id))::int;
        RETURN NEW;
    END $$""",
)


def upgrade() -> None:
    op.add_column("inbox", sa.Column("amount", sa.Float))
    pg = helpers.is_pg()
    helpers.run(*(PG_TRIGGERS if pg else SQLITE_TRIGGERS))
    amount = (PG_AMOUNT if pg else SQLITE_AMOUNT).format(doc="payload")
    helpers.run(f"UPDATE inbox SET amount = {amount} WHERE decided = 0")  # only open rows are read
    with_amount = sa.text("decided = 0 AND amount IS NOT NULL")
    op.create_index(  # with every column a filter reads: counted from the index alone
        "inbox_open_amount",
        "inbox",
        ["action", "kind", "amount", "channel", "risk", "batch", "thread_id"],
        sqlite_where=with_amount,
        postgresql_where=with_amount,
    )
    # a batch's entries with every filter column (and, on PostgreSQL, the row number, which
    # SQLite's indexes carry anyway): a page counts a batch's matching drafts and finds its
    # oldest from the index alone (an index-only scan on PostgreSQL once VACUUM, or autovacuum,
    # has marked the pages all-visible)
    open_batch = sa.text("decided = 0 AND batch IS NOT NULL")
    op.drop_index("inbox_open_batch", "inbox")
    op.create_index(
        "inbox_open_batch",
        "inbox",
        ["thread_id", "batch", "kind", "channel", "risk", "action", "amount"],
        sqlite_where=open_batch,
        postgresql_where=open_batch,
        postgresql_include=["rowid"],
    )
    if pg:  # a batch's oldest open draft in one probe (SQLite finds it through inbox_thread);
        # the filter columns included so that a filtered read the planner sends here (it takes
        # a campaign for one row) is still an index-only scan
        op.create_index(
            "inbox_open_batch_lead",
            "inbox",
            ["thread_id", "batch", "kind", "rowid"],
            postgresql_where=open_batch,
            postgresql_include=["channel", "risk", "action", "amount"],
        )
    # singles (no batch) in page order: a page of singles never steps over a batch's drafts
    # (a campaign's page with a 10,000-draft batch read all of them: 75 ms on SQLite)
    single = sa.text("decided = 0 AND batch IS NULL")
    order = ["created_at", *(["rowid"] if pg else [])]  # SQLite's indexes end in rowid anyway
    for name, columns in (
        ("inbox_open_single", ["kind", *order]),
        ("inbox_open_single_thread", ["thread_id", "kind", *order]),
    ):
        op.create_index(name, "inbox", columns, sqlite_where=single, postgresql_where=single)
    helpers.user_version(10)
