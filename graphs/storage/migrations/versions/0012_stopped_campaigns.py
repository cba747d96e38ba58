"""12: an index for the campaigns whose run stopped (status "error": the model timed out, the
server went away), so the Inbox and the sidebar count and list them with one index read instead
of scanning every campaign (1,000,000 campaigns at the inbox's measured scale)."""

from __future__ import annotations

import sqlalchemy as sa

from graphs.storage.migrations import helpers

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stopped = sa.text("status = 'error'")
    helpers.create_index_online("campaigns_stopped", "campaigns", ["updated_at"], where=stopped)
    helpers.user_version(12)
