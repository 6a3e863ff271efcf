"""drop the activity object_uri index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 07:05:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No query looks activities up by object (interactions and tags have their own tables),
    # yet every accepted inbox activity paid for it: object ids are scattered, so a batch of
    # rows touched one leaf page each (≈ 14 % of the inbox writer's work on SQLite).
    op.drop_index("ix_activity_object_uri", table_name="activity")


def downgrade() -> None:
    op.create_index("ix_activity_object_uri", "activity", ["object_uri"], unique=False)
