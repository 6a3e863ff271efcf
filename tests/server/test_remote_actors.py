"""A remote actor's own Update refreshes it; its own Delete (an account deleted on its server,
as Mastodon announces it) ends its follows, interactions and objects."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.storage.models import Actor, Follow, Interaction
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    REMOTE,
    RemoteServer,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)


async def bob_row(app: FastAPI) -> Actor:
    async with app.state.communs.db.session() as session:
        return (await session.execute(select(Actor).where(Actor.uri == BOB))).scalar_one()


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.communs.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def directory_actors(client: httpx.AsyncClient) -> set[str]:
    listed = (await client.get("/api/v1/directory", params={"type": "actor"})).json()
    return {entry["uri"] for entry in listed["items"]}


async def bob_follows_and_likes_a_project(app: FastAPI, client: httpx.AsyncClient) -> None:
    """bob follows coop, coop follows bob back, and bob likes coop's project."""
    await deliver_and_process(app, client, activity("Follow", number=1))
    auth = await coop_auth(app)
    followed = await client.post("/api/v1/follows", json={"target": BOB}, headers=auth)
    assert followed.status_code == 202, followed.text
    project = await client.post("/api/v1/projects", json={"name": "Commons Cloud"}, headers=auth)
    like = activity("Like", number=2, object=project.json()["uri"])
    await deliver_and_process(app, client, like, "/inbox")
    assert (await count(app, Follow), await count(app, Interaction)) == (2, 1)


async def test_actor_delete__ends_its_follows_interactions_and_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob, who follows coop, is followed by it and liked its project
    await bob_follows_and_likes_a_project(app, client)
    assert BOB in await directory_actors(client)

    # When bob's server announces the account deleted (Mastodon: Delete of the actor by itself)
    await deliver_and_process(app, client, activity("Delete", number=3, object=BOB), "/inbox")

    # Then the follows both ways and the like are gone, and bob's key is forgotten
    assert (await count(app, Follow), await count(app, Interaction)) == (0, 0)
    bob = await bob_row(app)
    assert bob.deleted_at is not None and bob.public_key_pem is None
    # And bob is no longer in the directory
    assert BOB not in await directory_actors(client)


async def test_actor_delete__of_another_actor_deletes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await bob_follows_and_likes_a_project(app, client)
    await deliver_and_process(app, client, activity("Delete", number=3, object=COOP), "/inbox")
    assert (await count(app, Follow), await count(app, Interaction)) == (2, 1)
    assert (await bob_row(app)).deleted_at is None


async def test_actor_update__refreshes_the_stored_actor(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob, known from his Follow
    await deliver_and_process(app, client, activity("Follow", number=1))

    # When bob's server sends his own Update with a new name and shared inbox
    document = remote.actor_document("bob") | {
        "name": "Robert",
        "endpoints": {"sharedInbox": f"{REMOTE}/shared"},
    }
    document.pop("@context")
    await deliver_and_process(app, client, activity("Update", number=2, object=document))

    # Then the stored actor says so, without waiting for a fetch
    bob = await bob_row(app)
    assert (bob.name, bob.shared_inbox_uri) == ("Robert", f"{REMOTE}/shared")


async def test_actor_update__keeps_the_avatar_and_header_urls(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob, known from his Follow, without pictures
    await deliver_and_process(app, client, activity("Follow", number=1))
    assert (await bob_row(app)).icon is None

    # When his Update carries an avatar (as Mastodon sends it) and a header as a bare URL
    document = remote.actor_document("bob") | {
        "icon": {"type": "Image", "mediaType": "image/png", "url": f"{REMOTE}/a.png"},
        "image": [f"{REMOTE}/h.jpg"],
    }
    document.pop("@context")
    await deliver_and_process(app, client, activity("Update", number=2, object=document))

    # Then both are kept as Images
    bob = await bob_row(app)
    assert bob.icon == {"type": "Image", "url": f"{REMOTE}/a.png", "mediaType": "image/png"}
    assert bob.image == {"type": "Image", "url": f"{REMOTE}/h.jpg"}


async def test_actor_update__of_another_actor_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    await deliver_and_process(app, client, activity("Follow", number=1))
    other = remote.actor_document("alice") | {"name": "Not bob"}
    await deliver_and_process(app, client, activity("Update", number=2, object=other))
    async with app.state.communs.db.session() as session:
        names = await session.execute(select(Actor.name).where(Actor.domain == "remote.example"))
        assert set(names.scalars()) == {""}
