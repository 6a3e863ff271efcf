"""Every local actor has an Ed25519 key beside its RSA key: new ones from creation, existing
ones from migration 0009; remote actors get none of ours."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlmodel import select

from alembic import command
from federation.keys import load_private_key
from federation.multikeys import public_key_multibase
from server.clock import utcnow
from server.storage.db import Database
from server.storage.migrations import alembic_config
from server.storage.models import Actor
from tests.conftest import create_actor

#: The columns an actor row had before migration 0009.
_ACTOR = sa.table(
    "actor",
    *(
        sa.column(name)
        for name in (
            "uri",
            "username",
            "domain",
            "is_local",
            "type",
            "name",
            "manually_approves_followers",
            "discoverable",
            "created_at",
            "updated_at",
        )
    ),
)


def assert_ed25519_pair(actor: Actor) -> None:
    assert actor.assertion_private_key_pem is not None
    key = load_private_key(actor.assertion_private_key_pem)
    assert isinstance(key, Ed25519PrivateKey)
    assert actor.assertion_public_key == public_key_multibase(key.public_key())
    assert actor.assertion_key_id == f"{actor.uri}#ed25519-key"


async def test_create_local_actor__gets_rsa_and_ed25519_keys(app: FastAPI) -> None:
    coop, _ = await create_actor(app, "coop")
    assert coop.private_key_pem and coop.key_id == f"{coop.uri}#main-key"
    assert_ed25519_pair(coop)
    async with app.state.communs.db.session() as session:
        instance = (
            await session.execute(select(Actor).where(Actor.type == "Application"))
        ).scalar_one()
    assert_ed25519_pair(instance)


async def test_migration_0009__existing_local_actors_get_a_key(database_url: str) -> None:
    # Given a database before 0009, with a local and a remote actor
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0007")
    db = Database(database_url)
    now = utcnow()
    common = {"type": "Person", "name": "", "created_at": now, "updated_at": now}
    flags = {"manually_approves_followers": False, "discoverable": True}
    async with db.engine.begin() as conn:
        for uri, local in (
            ("http://communs.test/actors/old", True),
            ("https://r.example/u/x", False),
        ):
            await conn.execute(
                sa.insert(_ACTOR).values(
                    uri=uri,
                    username=uri.rsplit("/", 1)[-1],
                    domain="communs.test" if local else "r.example",
                    is_local=local,
                    **common,
                    **flags,
                )
            )

    # When it is migrated
    await asyncio.to_thread(command.upgrade, config, "head")

    # Then the local actor has an Ed25519 key of its own, the remote one none
    async with db.session() as session:
        rows = {a.uri: a for a in (await session.execute(select(Actor))).scalars()}
    await db.dispose()
    assert_ed25519_pair(rows["http://communs.test/actors/old"])
    remote = rows["https://r.example/u/x"]
    assert remote.assertion_key_id is None and remote.assertion_private_key_pem is None
