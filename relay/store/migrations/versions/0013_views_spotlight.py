"""the host's spotlight survives a relay restart: meeting_state.spotlight_user_id

Revision ID: 0013_views_spotlight
Revises: 0009_directory_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_views_spotlight"
down_revision = "0011_deskb_personal_rooms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_state") as batch:
        batch.add_column(sa.Column("spotlight_user_id", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("meeting_state") as batch:
        batch.drop_column("spotlight_user_id")
