"""Two real Communs instances: what A publishes reaches B, verified, until B unfollows."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from server.storage.models import Activity, Actor, Delivery
from tests.conftest import create_actor
from tests.realservers import DEADLINE, Instance, eventually, serve

pytestmark = pytest.mark.slow


async def incoming(instance: Instance, uri: str) -> Activity | None:
    async with instance.app.state.communs.db.session() as session:
        return (
            await session.execute(
                select(Activity).where(Activity.uri == uri, Activity.direction == "in")
            )
        ).scalar_one_or_none()


async def deliveries_of(instance: Instance, activity_uri: str) -> int:
    async with instance.app.state.communs.db.session() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Delivery)
                    .join(Activity, Activity.id == Delivery.activity_id)
                    .where(Activity.uri == activity_uri)
                )
            ).scalar_one()
        )


async def last_sent(instance: Instance, kind: str) -> str:
    async with instance.app.state.communs.db.session() as session:
        return str(
            (
                await session.execute(
                    select(Activity.uri)
                    .where(Activity.direction == "out", Activity.type == kind)
                    .order_by(col(Activity.id).desc())
                )
            )
            .scalars()
            .first()
        )


async def test_publish__reaches_a_follower_on_another_instance_until_undo(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given bob on B follows alice on A, and A accepted
        _, alice_token = await create_actor(a.app, "alice")
        _, bob_token = await create_actor(b.app, "bob")
        bob = {"Authorization": f"Bearer {bob_token}"}
        alice = {"Authorization": f"Bearer {alice_token}"}
        follow = (
            await http.post(
                f"{b.base_url}/api/v1/follows", json={"target": f"alice@{a.domain}"}, headers=bob
            )
        ).json()

        async def accepted() -> bool:
            listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=bob)).json()
            return [f["state"] for f in listed] == ["accepted"]

        await eventually(accepted, what="the follow to be accepted")

        # When alice publishes a project
        created = await http.post(
            f"{a.base_url}/api/v1/projects",
            json={"name": "Commons Cloud", "license": "MIT"},
            headers=alice,
        )
        assert created.status_code == 201, created.text
        create_uri = await last_sent(a, "Create")

        # Then B receives the Create, verifies its signature (202) and stores it
        stored = await eventually(lambda: incoming(b, create_uri), what="B to store A's Create")
        assert stored.actor_uri == f"{a.base_url}/actors/alice"
        assert created.json()["uri"].encode() in stored.body

        # When alice renames herself, Then B's copy of her actor follows (Update of the actor)
        renaming = await http.patch(
            f"{a.base_url}/api/v1/actors/alice", json={"name": "Alice Dupont"}, headers=alice
        )
        assert renaming.status_code == 200, renaming.text

        async def renamed() -> bool:
            async with b.app.state.communs.db.session() as session:
                name = await session.scalar(
                    select(Actor.name).where(Actor.uri == f"{a.base_url}/actors/alice")
                )
            return name == "Alice Dupont"

        await eventually(renamed, what="B to apply alice's Update")

        # When bob unfollows, and alice publishes again
        assert (
            await http.delete(f"{b.base_url}/api/v1/follows/{follow['id']}", headers=bob)
        ).status_code == 204

        async def no_followers() -> bool:
            doc = (
                await http.get(
                    f"{a.base_url}/actors/alice/followers",
                    headers={"Accept": "application/activity+json"},
                )
            ).json()
            return doc["totalItems"] == 0

        await eventually(no_followers, what="A to apply the Undo")
        again = await http.post(
            f"{a.base_url}/api/v1/projects", json={"name": "Second"}, headers=alice
        )
        assert again.status_code == 201

        # Then nothing is delivered to B any more
        assert await deliveries_of(a, create_uri) == 1
        assert await deliveries_of(a, await last_sent(a, "Create")) == 0
