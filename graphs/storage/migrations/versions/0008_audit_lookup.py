"""8: an index for reading one campaign's audit entries of one kind (who started a campaign, a
campaign's history): without it every such read scans the whole audit."""

from __future__ import annotations

from graphs.storage.migrations import helpers

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    helpers.create_index_online("audit_thread_event", "audit", ["thread_id", "event", "seq"])
    helpers.user_version(8)
