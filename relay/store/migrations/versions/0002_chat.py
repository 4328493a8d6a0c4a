"""chat messages (kept only with [chat] retention)

Revision ID: 0002_chat
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_chat"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_participant_id", sa.String(length=64), nullable=False),
        sa.Column("from_name", sa.String(length=80), nullable=False),
        sa.Column("to_participant_id", sa.String(length=64), nullable=False),
        sa.Column("to_name", sa.String(length=80), nullable=False),
        sa.Column("from_user_id", sa.String(length=32), nullable=False),
        sa.Column("to_user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_meeting_seq", "chat_messages", ["meeting_id", "seq"], unique=False)
    op.create_index(op.f("ix_chat_messages_sent_at"), "chat_messages", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_messages_sent_at"), table_name="chat_messages")
    op.drop_index("ix_chat_meeting_seq", table_name="chat_messages")
    op.drop_table("chat_messages")
