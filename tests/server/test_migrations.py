"""Models and migrations agree, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import server.storage.models  # noqa: F401
from alembic import command
from server.storage.db import Database
from server.storage.migrations import alembic_config
from server.storage.models import Actor, FundingCall, FundingCallEvent, ObjectTag, Pledge, Project
from server.storage.search import is_search_object


async def test_migrations__match_models(database_url: str) -> None:
    # Given a database migrated to head
    db = Database(database_url)

    def diff(connection: Any) -> list[Any]:
        opts = {"compare_type": True, "include_name": lambda name, *_: not is_search_object(name)}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, SQLModel.metadata))

    # When autogenerate compares it with the models
    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await db.dispose()

    # Then it finds nothing to change
    assert differences == []


async def test_migrations__every_step_downgrades_and_upgrades_again(database_url: str) -> None:
    # Given a database at head (the fixture migrated it)
    config = alembic_config(database_url)

    # When it is taken down to the first revision and back up, one step at a time
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(command.upgrade, config, "head")

    # Then it matches the models again
    await test_migrations__match_models(database_url)


async def test_migration_0008__marks_owner_recorded_pledges_and_starts_every_history(
    database_url: str,
) -> None:
    # Given a database just before 0008 with a local call, pledged to in every way, and a
    # remote call
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0008-1")
    db = Database(database_url)
    pledge = sa.table(
        "pledge",
        *(sa.column(c) for c in ("id", "uri", "funding_call_id", "pledger_id", "funder_name")),
        *(sa.column(c) for c in ("sector", "amount_minor", "currency", "message", "state")),
        sa.column("offer_uri"),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    async with db.engine.begin() as conn:
        ids = []
        for name, local in (("coop", True), ("region", True), ("bob", False)):
            row = {"uri": f"https://{name}.example/a", "username": name, "domain": name}
            found = await conn.execute(
                sa.insert(Actor).values(row | {"is_local": local, "type": "Person"})
            )
            ids.append(found.inserted_primary_key[0])
        for call_id, local in (("local", True), ("remote", False)):
            await conn.execute(
                sa.insert(FundingCall).values(
                    id=call_id,
                    uri=f"https://x.example/{call_id}",
                    actor_id=ids[0] if local else ids[2],
                    is_local=local,
                    title=call_id,
                    description="",
                    description_html="",
                    currency="EUR",
                    goal_minor=10_000,
                    raised_minor=600,
                    raised_by_sector={"public": 600},
                    deadline=date(2099, 1, 1),
                    tags=[],
                    status="open",
                )
            )
        now = datetime.now(UTC)
        made = [  # (id, call, pledger, funder name, offer)
            ("funder", "local", None, "La Région", None),
            ("named", "local", ids[1], None, None),
            ("offered", "local", ids[2], None, "https://bob.example/offer"),
            ("ours", "remote", ids[1], None, "https://x.example/our-offer"),
        ]
        for pledge_id, call_id, pledger, funder, offer_uri in made:
            await conn.execute(
                sa.insert(pledge).values(
                    id=pledge_id,
                    uri=f"https://x.example/pledges/{pledge_id}",
                    funding_call_id=call_id,
                    pledger_id=pledger,
                    funder_name=funder,
                    sector="public",
                    amount_minor=200,
                    currency="EUR",
                    message="",
                    state="accepted",
                    offer_uri=offer_uri,
                    created_at=now if not db.is_sqlite else now.replace(tzinfo=None),
                    updated_at=now if not db.is_sqlite else now.replace(tzinfo=None),
                )
            )

    # When it is upgraded to 0008
    await asyncio.to_thread(command.upgrade, config, "head")

    # Then the pledges of the local call that came without an Offer are marked as recorded
    # by its owner (no actor vouches for them), and the others are not
    async with db.sessions() as session:
        marked = dict((await session.execute(sa.select(Pledge.id, Pledge.recorded_by_owner))).all())
        events = (await session.execute(sa.select(FundingCallEvent))).scalars().all()
    await db.dispose()
    assert marked == {"funder": True, "named": True, "offered": False, "ours": False}
    # And every call's history starts with its figures as they were
    assert sorted(
        (e.funding_call_id, e.kind, e.raised_minor, e.goal_minor, e.status, e.actor_uri)
        for e in events
    ) == [
        ("local", "history_started", 600, 10_000, "open", None),
        ("remote", "history_started", 600, 10_000, "open", None),
    ]


async def test_migration_0014__existing_rows_have_no_pictures_and_the_way_back_drops_them(
    database_url: str,
) -> None:
    # Given a database just before 0014 with an actor and its project
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0013")
    db = Database(database_url)
    project = sa.table(
        "project",
        *(sa.column(c) for c in ("id", "uri", "actor_id", "is_local", "name", "summary")),
        *(sa.column(c) for c in ("description", "description_html", "status", "is_pinned")),
        sa.column("tags", sa.JSON),
        sa.column("published_at"),
        sa.column("updated_at"),
    )
    now = datetime.now(UTC)
    async with db.engine.begin() as conn:
        row = {"uri": "https://x.example/a", "username": "coop", "domain": "x.example"}
        found = await conn.execute(
            sa.insert(Actor).values(row | {"is_local": True, "type": "Person"})
        )
        await conn.execute(
            sa.insert(project).values(
                id="p1",
                uri="https://x.example/p1",
                actor_id=found.inserted_primary_key[0],
                is_local=True,
                name="Cloud",
                summary="",
                description="",
                description_html="",
                tags=[],
                status="active",
                is_pinned=False,
                published_at=now if not db.is_sqlite else now.replace(tzinfo=None),
                updated_at=now if not db.is_sqlite else now.replace(tzinfo=None),
            )
        )

    # When it is upgraded to 0014
    await asyncio.to_thread(command.upgrade, config, "0014")

    # Then the project has no logo and no images, and the actor no avatar
    async with db.sessions() as session:
        stored = await session.get(Project, "p1")
        actor = (await session.execute(sa.select(Actor))).scalar_one()
        assert stored is not None and stored.attachment == [] and stored.icon is None
        assert actor.icon is None and actor.image is None
    # And the way back leaves no media table behind
    await asyncio.to_thread(command.downgrade, config, "0013")
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    await db.dispose()
    assert "media" not in tables
    await asyncio.to_thread(command.upgrade, config, "head")


async def test_migration_0015__tells_each_tag_the_kind_of_its_object(database_url: str) -> None:
    # Given a database just before 0015 with a tagged project and a tagged funding call
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0014")
    db = Database(database_url)
    tag = sa.table("object_tag", sa.column("object_uri"), sa.column("tag"))
    moment = datetime.now(UTC)
    async with db.engine.begin() as conn:
        found = await conn.execute(
            sa.insert(Actor).values(
                uri="https://coop.example/a", username="coop", domain="coop", type="Person"
            )
        )
        actor_id = found.inserted_primary_key[0]
        await conn.execute(
            sa.insert(Project).values(
                id="p",
                uri="https://x.example/projects/p",
                actor_id=actor_id,
                name="Maps",
                description="",
                description_html="",
                tags=["maps"],
                published_at=moment,
                updated_at=moment,
            )
        )
        await conn.execute(
            sa.insert(FundingCall).values(
                id="c",
                uri="https://x.example/funding-calls/c",
                actor_id=actor_id,
                title="Fund",
                description="",
                description_html="",
                currency="EUR",
                goal_minor=10_000,
                raised_minor=0,
                raised_by_sector={},
                deadline=date(2099, 1, 1),
                tags=["maps"],
                status="open",
            )
        )
        await conn.execute(
            sa.insert(tag),
            [
                {"object_uri": "https://x.example/projects/p", "tag": "maps"},
                {"object_uri": "https://x.example/funding-calls/c", "tag": "maps"},
            ],
        )

    # When it is upgraded
    await asyncio.to_thread(command.upgrade, config, "head")

    # Then each tag knows the table of its object
    async with db.sessions() as session:
        kinds = dict((await session.execute(sa.select(ObjectTag.object_uri, ObjectTag.kind))).all())
    await db.dispose()
    assert kinds == {
        "https://x.example/projects/p": "project",
        "https://x.example/funding-calls/c": "funding_call",
    }
