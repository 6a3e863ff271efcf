"""actor.assertion_*: the Ed25519 key of each actor's Object Integrity Proofs (FEP-8b32)

Local actors get their private key here, so every existing one signs from the first deploy
on; remote actors' columns cache the key their proofs were last checked with.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op
from federation.keys import generate_ed25519_key

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.add_column(sa.Column("assertion_key_id", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("assertion_public_key", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("assertion_private_key_pem", sa.Text(), nullable=True))
    actor = sa.table(
        "actor",
        sa.column("id", sa.Integer),
        sa.column("uri", sa.String),
        sa.column("is_local", sa.Boolean),
        sa.column("assertion_key_id", sa.String),
        sa.column("assertion_public_key", sa.String),
        sa.column("assertion_private_key_pem", sa.Text),
    )
    bind = op.get_bind()
    local = bind.execute(sa.select(actor.c.id, actor.c.uri).where(actor.c.is_local == sa.true()))
    for row_id, uri in local.all():
        private_pem, public_multibase = generate_ed25519_key()  # ~0.1 ms each
        bind.execute(
            actor.update()
            .where(actor.c.id == row_id)
            .values(
                assertion_key_id=f"{uri}#ed25519-key",
                assertion_public_key=public_multibase,
                assertion_private_key_pem=private_pem,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("actor") as batch:
        batch.drop_column("assertion_private_key_pem")
        batch.drop_column("assertion_public_key")
        batch.drop_column("assertion_key_id")
