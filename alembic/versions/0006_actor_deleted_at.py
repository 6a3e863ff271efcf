"""actor.deleted_at: remote accounts deleted on their server

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.drop_column("deleted_at")
