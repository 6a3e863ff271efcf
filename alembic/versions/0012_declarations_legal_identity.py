"""declarations (uses, provides services), legal identity (SIRET, public category, email),
region codes

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None

#: Free-text regions written before region codes, as their INSEE codes (``schemas.regions``;
#: copied here, since a migration never imports the application).
_REGIONS = {
    "Guadeloupe": "01",
    "Martinique": "02",
    "Guyane": "03",
    "La Réunion": "04",
    "Mayotte": "06",
    "Île-de-France": "11",
    "Centre-Val de Loire": "24",
    "Bourgogne-Franche-Comté": "27",
    "Normandie": "28",
    "Hauts-de-France": "32",
    "Grand Est": "44",
    "Pays de la Loire": "52",
    "Bretagne": "53",
    "Nouvelle-Aquitaine": "75",
    "Occitanie": "76",
    "Auvergne-Rhône-Alpes": "84",
    "Provence-Alpes-Côte d'Azur": "93",
    "Corse": "94",
}

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.add_column(sa.Column("siret", sa.String(length=14), nullable=True))
        batch.add_column(sa.Column("public_category", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=250), nullable=True))
        batch.create_index("ix_actor_region", ["region"], unique=False)
    actor = sa.table("actor", sa.column("region", sa.String))
    for name, code in _REGIONS.items():
        op.execute(actor.update().where(actor.c.region == name).values(region=code))

    op.create_table(
        "declaration",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uri"),
    )
    op.create_index("ix_declaration_actor_id", "declaration", ["actor_id"], unique=False)
    op.create_index(
        "ix_declaration_project_kind", "declaration", ["project_id", "kind"], unique=False
    )
    op.create_index(
        "uq_declaration_live",
        "declaration",
        ["actor_id", "project_id", "kind"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_table(
        "declaration_area",
        sa.Column("declaration_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["declaration_id"], ["declaration.id"]),
        sa.PrimaryKeyConstraint("declaration_id", "code"),
    )
    op.create_index("ix_declaration_area_code", "declaration_area", ["code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_declaration_area_code", table_name="declaration_area")
    op.drop_table("declaration_area")
    op.drop_index("uq_declaration_live", table_name="declaration")
    op.drop_index("ix_declaration_project_kind", table_name="declaration")
    op.drop_index("ix_declaration_actor_id", table_name="declaration")
    op.drop_table("declaration")
    actor = sa.table("actor", sa.column("region", sa.String))
    for name, code in _REGIONS.items():
        op.execute(actor.update().where(actor.c.region == code).values(region=name))
    with op.batch_alter_table("actor") as batch:
        batch.drop_index("ix_actor_region")
        batch.drop_column("email")
        batch.drop_column("public_category")
        batch.drop_column("siret")
