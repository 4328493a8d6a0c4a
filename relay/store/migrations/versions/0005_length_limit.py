"""a meeting the length limit ended may not start again before its next booked time

Revision ID: 0005_length_limit
Revises: 0004_meeting_state
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_length_limit"
down_revision = "0004_meeting_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("closed_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("closed_until")
