"""${message}"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graphs.storage.migrations import helpers

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
