"""meetings booked without a room (issue #19 item 10): rooms.owner_user_id marks a person's own room

Revision ID: 0011_deskb_personal_rooms
Revises: 0009_directory_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_deskb_personal_rooms"
down_revision = "0009_directory_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("owner_user_id", sa.String(32), nullable=True))
        batch.create_index("ix_rooms_owner_user_id", ["owner_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_index("ix_rooms_owner_user_id")
        batch.drop_column("owner_user_id")
