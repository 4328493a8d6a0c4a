"""Merge the parallel 0002 branches (chat retention, operations, rooms) into one line.

Revision ID: 0003_merge
Revises: 0002_chat, 0002_ops, 0002_rooms
"""

from __future__ import annotations

revision = "0003_merge"
down_revision = ("0002_chat", "0002_ops", "0002_rooms")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
