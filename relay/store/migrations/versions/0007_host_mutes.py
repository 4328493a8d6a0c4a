"""mutes a host imposed survive a relay restart: meeting_state.host_muted (user id -> sources)

Revision ID: 0007_host_mutes
Revises: 0006_chat_counters
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_host_mutes"
down_revision = "0006_chat_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_state") as batch:
        batch.add_column(sa.Column("host_muted", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("meeting_state") as batch:
        batch.drop_column("host_muted")
