"""Deleting a local actor, as Mastodon deletes an account: its followers' and followed servers
get ``Delete{actor}``, its URLs answer 410, its tokens die and its username stays taken."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.domain.tokens import issue_token
from server.storage.models import Activity, Actor, Delivery, Follow
from tests.conftest import TEST_BASE_URL, create_actor
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    REMOTE,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)
from tests.realservers import eventually, serve

AS2 = {"Accept": "application/activity+json"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def deletes_sent(app: FastAPI) -> list[tuple[dict[str, Any], str]]:
    async with app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Activity.body, Delivery.inbox_uri)
            .join(Delivery, Delivery.activity_id == Activity.id)
            .where(Activity.type == "Delete")
        )
        return [(json.loads(body), inbox) for body, inbox in rows.all()]


async def test_delete_actor__tells_followers_and_followed_then_answers_410(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop, followed by bob and following alice on the same server, with a project
    auth = await coop_auth(app)
    await deliver_and_process(app, client, activity("Follow", number=1))
    async with app.state.communs.db.session() as session:
        alice = Actor(
            uri=f"{REMOTE}/users/alice",
            username="alice",
            domain="remote.example",
            type="Person",
            inbox_uri=f"{REMOTE}/users/alice/inbox",
        )
        session.add(alice)
        await session.flush()
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        session.add(
            Follow(
                uri=f"{COOP}#follows/1", follower_id=coop.id, followed_id=alice.id, state="accepted"
            )
        )
        await session.commit()
    project = (await client.post("/api/v1/projects", json={"name": "Cartes"}, headers=auth)).json()

    # When coop deletes itself
    response = await client.delete("/api/v1/actors/coop", headers=auth)
    assert response.status_code == 204, response.text

    # Then one public Delete of coop goes to bob's shared inbox and to alice's inbox
    sent = await deletes_sent(app)
    assert sorted(inbox for _, inbox in sent) == [f"{REMOTE}/inbox", f"{REMOTE}/users/alice/inbox"]
    document = sent[0][0]
    assert (document["actor"], document["object"]) == (COOP, COOP)
    assert document["to"] == ["https://www.w3.org/ns/activitystreams#Public"]

    # And its actor, WebFinger, profile and project answer 410, and its follows are gone
    assert (await client.get("/actors/coop", headers=AS2)).status_code == 410
    webfinger = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:coop@communs.test"}
    )
    assert webfinger.status_code == 410
    assert (await client.get("/@coop")).status_code == 410
    assert (
        await client.get(project["uri"].removeprefix(TEST_BASE_URL), headers=AS2)
    ).status_code == 410
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0

    # And its token is refused, its inbox answers 410, and a Follow of it is ignored
    assert (await client.get("/api/v1/follows", headers=auth)).status_code == 401
    assert (await client.post("/actors/coop/inbox", content=b"{}")).status_code == 410
    await deliver_and_process(app, client, activity("Follow", number=2), "/inbox")
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0


async def test_delete_actor__the_username_is_never_reused(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    auth = await coop_auth(app)
    assert (await client.delete("/api/v1/actors/coop", headers=auth)).status_code == 204
    again = await client.post(
        "/api/v1/actors", json={"username": "coop", "name": "New"}, headers=bearer(admin_token)
    )
    assert again.status_code == 409
    gone = await client.delete("/api/v1/actors/coop", headers=bearer(admin_token))
    assert gone.status_code == 410


@pytest.mark.parametrize("scopes", [["read"], ["read", "write"]])
async def test_delete_actor__only_its_own_writer_or_an_admin(
    app: FastAPI, client: httpx.AsyncClient, scopes: list[str]
) -> None:
    other, _ = await create_actor(app, "other")
    async with app.state.communs.db.session() as session:
        token = await issue_token(session, actor_id=other.id, scopes=scopes)
    response = await client.delete("/api/v1/actors/coop", headers=bearer(token))
    assert response.status_code == 403
    assert (await client.get("/actors/coop", headers=AS2)).status_code == 200


@pytest.mark.slow
async def test_delete_actor__another_instance_ends_its_follow(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient() as http,
    ):
        # Given bob on B following alice on A
        _, alice = await create_actor(a.app, "alice")
        _, bob = await create_actor(b.app, "bob")
        await http.post(
            f"{b.base_url}/api/v1/follows",
            json={"target": f"alice@{a.domain}"},
            headers=bearer(bob),
        )

        async def follows_on_b() -> list[str]:
            listed = await http.get(f"{b.base_url}/api/v1/follows", headers=bearer(bob))
            return [f["state"] for f in listed.json()]

        async def accepted() -> bool:
            return await follows_on_b() == ["accepted"]

        async def dropped() -> bool:
            return await follows_on_b() == []

        await eventually(accepted, what="the follow to be accepted")

        # When alice deletes herself on A
        deleted = await http.delete(f"{a.base_url}/api/v1/actors/alice", headers=bearer(alice))
        assert deleted.status_code == 204

        # Then B drops the follow and marks alice deleted, from the signed Delete
        await eventually(dropped, what="B to apply the Delete")
        async with b.app.state.communs.db.session() as session:
            gone = await session.scalar(
                select(Actor.deleted_at).where(Actor.uri == f"{a.base_url}/actors/alice")
            )
        assert gone is not None
