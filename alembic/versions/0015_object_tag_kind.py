"""object_tag kind: a tag's objects of one kind are read from the index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:40:00

A directory search for a tag that only projects carry read each of the tag's objects to
learn that no funding call has it (12 500 lookups by URI for one tag of the bench's 100 000
objects, docs/performance.md, eleventh round). Each row now says which table its object is
in, and ``(tag, kind)`` is indexed in place of ``tag`` alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("object_tag", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="", nullable=False)
        )
    for kind, table in (("project", "project"), ("funding_call", "funding_call")):
        op.execute(
            f"UPDATE object_tag SET kind = '{kind}' WHERE object_uri IN (SELECT uri FROM {table})"
        )
    with op.batch_alter_table("object_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_object_tag_tag")
        batch_op.create_index("ix_object_tag_tag_kind", ["tag", "kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("object_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_object_tag_tag_kind")
        batch_op.create_index("ix_object_tag_tag", ["tag"], unique=False)
        batch_op.drop_column("kind")
