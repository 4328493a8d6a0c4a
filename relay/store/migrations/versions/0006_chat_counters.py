"""chat sequence numbers per meeting, stored so they stay unique and gap-free across restarts

Revision ID: 0006_chat_counters
Revises: 0005_length_limit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_chat_counters"
down_revision = "0005_length_limit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_counters",
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    # Meetings whose messages were kept (retention on) go on from their highest number.
    op.execute(
        "INSERT INTO chat_counters (meeting_id, last_seq) "
        "SELECT meeting_id, MAX(seq) FROM chat_messages GROUP BY meeting_id"
    )


def downgrade() -> None:
    op.drop_table("chat_counters")
