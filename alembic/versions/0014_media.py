"""media: uploaded pictures (avatars, headers, logos, images) and what actors, projects and
calls publish of them (``icon``, ``image``, ``attachment``)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:15:00

The published forms are kept on the rows (JSON, as the fediverse reads them), so that rendering
an actor or a Note costs no query; ``media`` holds the files' facts and their tombstones.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=True),
        sa.Column("funding_call_id", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=1500), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["funding_call_id"], ["funding_call.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_media_actor_id", "media", ["actor_id"], unique=False)
    op.create_index("ix_media_project_id", "media", ["project_id"], unique=False)
    op.create_index("ix_media_funding_call_id", "media", ["funding_call_id"], unique=False)
    op.create_index("ix_media_path", "media", ["path"], unique=False)
    # Plain ALTER TABLE, never a batch: SQLite's copy of a table would lose its search
    # triggers (0013).
    op.add_column("actor", sa.Column("icon", sa.JSON(), nullable=True))
    op.add_column("actor", sa.Column("image", sa.JSON(), nullable=True))
    for table in ("project", "funding_call"):
        op.add_column(table, sa.Column("icon", sa.JSON(), nullable=True))
        op.add_column(
            table, sa.Column("attachment", sa.JSON(), nullable=False, server_default=_EMPTY_LIST)
        )


def downgrade() -> None:
    for table in ("funding_call", "project"):
        op.drop_column(table, "attachment")
        op.drop_column(table, "icon")
    op.drop_column("actor", "image")
    op.drop_column("actor", "icon")
    op.drop_index("ix_media_path", table_name="media")
    op.drop_index("ix_media_funding_call_id", table_name="media")
    op.drop_index("ix_media_project_id", table_name="media")
    op.drop_index("ix_media_actor_id", table_name="media")
    op.drop_table("media")
