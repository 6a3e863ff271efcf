"""drop the delivery → activity foreign key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:05:00
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: SQLite's reflected foreign key has no name; batch mode needs one to drop it.
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def upgrade() -> None:
    # PostgreSQL checked it with one trigger call per fan-out row (≈ 0.8 s per 100 000
    # followers). Deliveries are only ever inserted by server/publishing/outbox.py, in the transaction
    # that inserts their activity, and activities are never deleted.
    with op.batch_alter_table("delivery", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("delivery_activity_id_fkey", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("delivery", naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key(
            "delivery_activity_id_fkey", "activity", ["activity_id"], ["id"]
        )
