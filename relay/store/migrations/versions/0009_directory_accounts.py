"""company directory accounts (issue #22): users.source, suspended_by, email, may_host, is_admin

Revision ID: 0009_directory_accounts
Revises: 0007_host_mutes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_directory_accounts"
down_revision = "0007_host_mutes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="local"))
        batch.add_column(sa.Column("suspended_by", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("email", sa.String(254), nullable=False, server_default=""))
        batch.add_column(sa.Column("may_host", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for column in ("is_admin", "may_host", "email", "suspended_by", "source"):
            batch.drop_column(column)
