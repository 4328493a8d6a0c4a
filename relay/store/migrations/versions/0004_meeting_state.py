"""meeting state that survives a relay restart: roles, lobby decisions, lock, mute-all, recording

Revision ID: 0004_meeting_state
Revises: 0003_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_meeting_state"
down_revision = "0003_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_state",
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("admitted", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("unmute_allowed", sa.Boolean(), nullable=False),
        sa.Column("recording_by_user_id", sa.String(length=32), nullable=False),
        sa.Column("recording_by_name", sa.String(length=80), nullable=False),
        sa.Column("recording_started_at", sa.Float(), nullable=False),
        sa.Column("allow_cohost_recording", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id"),
    )


def downgrade() -> None:
    op.drop_table("meeting_state")
