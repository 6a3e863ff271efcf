"""pledge.recorded_by_owner and funding_call_event: consent and an append-only call history

Revision ID: 0008
Revises: 0011 (0007 when written; chained after the revisions main merged first, 0009 and
0011, so that a database already at one of them still gets this one)
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None

_REFUSAL = "funding_call_event rows are never changed nor deleted"


def upgrade() -> None:
    with op.batch_alter_table("pledge") as batch:
        batch.add_column(
            sa.Column("recorded_by_owner", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Until now a call's owner could record a pledge in anyone's name: every pledge of a local
    # call that came without an Offer was recorded by the owner, or cannot be told apart from
    # one that was. None of them is vouched for by an actor.
    pledge = sa.table(
        "pledge",
        sa.column("offer_uri", sa.String()),
        sa.column("funding_call_id", sa.String()),
        sa.column("recorded_by_owner", sa.Boolean()),
    )
    call = sa.table(
        "funding_call", sa.column("id", sa.String()), sa.column("is_local", sa.Boolean())
    )
    local_calls = sa.select(call.c.id).where(call.c.is_local == sa.true())
    op.execute(
        pledge.update()
        .where(pledge.c.offer_uri.is_(None), pledge.c.funding_call_id.in_(local_calls))
        .values(recorded_by_owner=True)
    )

    op.create_table(
        "funding_call_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("funding_call_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=True),
        sa.Column("pledge_id", sa.String(length=32), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("goal_minor", sa.BigInteger(), nullable=False),
        sa.Column("raised_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["funding_call_id"], ["funding_call.id"]),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("funding_call_event") as batch:
        batch.create_index("ix_funding_call_event_call", ["funding_call_id", "id"], unique=False)

    # Every call's history starts with its figures as they are now.
    sqlite = op.get_bind().dialect.name == "sqlite"
    now = datetime.now(UTC).replace(tzinfo=None) if sqlite else datetime.now(UTC)
    names = ["funding_call_id", "kind", "currency", "goal_minor", "raised_minor", "status", "at"]
    event = sa.table("funding_call_event", *(sa.column(name) for name in names))
    calls = sa.table("funding_call", *(sa.column(name) for name in ("id", *names[2:6])))
    op.execute(
        event.insert().from_select(
            names,
            sa.select(
                calls.c.id,
                sa.literal("history_started"),
                calls.c.currency,
                calls.c.goal_minor,
                calls.c.raised_minor,
                calls.c.status,
                sa.literal(now, sa.DateTime(timezone=True)),
            ).order_by(calls.c.id),
        )
    )

    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER funding_call_event_no_{action.lower()} "
                f"BEFORE {action} ON funding_call_event "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION funding_call_event_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER funding_call_event_append_only "
            "BEFORE UPDATE OR DELETE ON funding_call_event "
            "FOR EACH ROW EXECUTE FUNCTION funding_call_event_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER funding_call_event_no_update")
        op.execute("DROP TRIGGER funding_call_event_no_delete")
    else:
        op.execute("DROP TRIGGER funding_call_event_append_only ON funding_call_event")
        op.execute("DROP FUNCTION funding_call_event_append_only()")
    with op.batch_alter_table("funding_call_event") as batch:
        batch.drop_index("ix_funding_call_event_call")
    op.drop_table("funding_call_event")
    with op.batch_alter_table("pledge") as batch:
        batch.drop_column("recorded_by_owner")
