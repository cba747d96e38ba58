"""13: an index of the emails that went out, by recipient, so "was this address emailed before?"
(the route's first-contact fact: `AutonomyTables.routing_reads`, `OutboxTables.contacted`, at
every assessment of an email) is one index probe instead of parsing every sent email's
arguments.

The index is on the very expression those reads compare, `lower(json_extract(args, '$.to'))`,
over the rows they filter (`name = 'send_email' AND status = 'done'`), so both databases' planners
use it for the queries as written: SQLite's `json_extract` and `lower` are deterministic, and on
PostgreSQL revision 3's `json_extract` is IMMUTABLE. Nothing else changes; the index is built
from the rows already there.
"""

from __future__ import annotations

import sqlalchemy as sa

from graphs.storage.migrations import helpers

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sent = sa.text("name = 'send_email' AND status = 'done'")
    helpers.create_index_online(
        "outbox_sent_to", "outbox", [sa.text("lower(json_extract(args, '$.to'))")], where=sent
    )
    helpers.user_version(13)
