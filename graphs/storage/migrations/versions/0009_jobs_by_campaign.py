"""9: an index for a campaign's jobs (its latest run, what a page polls every second)."""

from __future__ import annotations

from graphs.storage.migrations import helpers

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    helpers.create_index_online("jobs_thread", "jobs", ["thread_id", "id"])
    helpers.user_version(9)
