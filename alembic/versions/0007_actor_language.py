"""actor.language: the language of what a local actor publishes (contentMap)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:35:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing actors keep the language every Note was tagged with so far.
    with op.batch_alter_table("actor") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=35), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.drop_column("language")
