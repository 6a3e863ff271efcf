"""Follow, Accept, Reject and Undo, both ways, processed by the inbox worker."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from server.clock import utcnow
from server.storage.models import Activity, Actor, Delivery, Follow
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    INBOX_PATH,
    REMOTE,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    encode,
    remote,
    signed_headers,
)

BOB_INBOX = f"{BOB}/inbox"


async def sent(app: FastAPI, kind: str) -> list[tuple[dict[str, Any], str]]:
    """Return the (activity, inbox) pairs queued for delivery, of one type."""
    async with app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Activity.body, Delivery.inbox_uri)
            .join(Delivery, Delivery.activity_id == Activity.id)
            .where(Activity.type == kind)
            .order_by(Delivery.id)
        )
        return [(json.loads(body), inbox) for body, inbox in rows.all()]


async def follows(app: FastAPI) -> list[Follow]:
    async with app.state.communs.db.session() as session:
        return list((await session.execute(select(Follow))).scalars())


async def test_follow__stores_follower_and_accepts_with_the_follow_as_received(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    follow = activity("Follow", number=1)
    await deliver_and_process(app, client, follow)
    [stored] = await follows(app)
    assert stored.state == "accepted" and stored.uri == follow["id"]
    [(accept, inbox)] = await sent(app, "Accept")
    assert inbox == BOB_INBOX
    assert accept["actor"] == COOP
    assert accept["object"] == {k: v for k, v in follow.items() if k != "@context"}
    assert "#" not in accept["id"]


async def test_follow__repeated_follow_resends_accept(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await deliver_and_process(app, client, activity("Follow", number=1))
    await deliver_and_process(app, client, activity("Follow", number=2))
    assert len(await follows(app)) == 1
    assert len(await sent(app, "Accept")) == 2


async def test_undo__embedded_follow_removes_follower(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    follow = activity("Follow", number=1)
    await deliver_and_process(app, client, follow)
    await deliver_and_process(app, client, activity("Undo", number=2, object=follow))
    assert await follows(app) == []


async def test_undo__follow_by_id_removes_follower(app: FastAPI, client: httpx.AsyncClient) -> None:
    follow = activity("Follow", number=1)
    await deliver_and_process(app, client, follow)
    await deliver_and_process(app, client, activity("Undo", number=2, object=follow["id"]))
    assert await follows(app) == []


async def test_follow__suspended_actor_rejects(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with app.state.communs.db.session() as session:
        await session.execute(update(Actor).where(Actor.uri == COOP).values(suspended_at=utcnow()))
        await session.commit()
    await deliver_and_process(app, client, activity("Follow", number=1))
    assert await follows(app) == []
    [(reject, inbox)] = await sent(app, "Reject")
    assert inbox == BOB_INBOX and reject["object"]["id"] == f"{REMOTE}/activities/1"


async def coop_token(app: FastAPI, *, locked: bool = False) -> str:
    from server.domain.tokens import issue_token

    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        coop.manually_approves_followers = locked
        await session.commit()
        return await issue_token(session, actor_id=coop.id, scopes=["read", "write"])


async def test_follow_requests__locked_actor_approves(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop approves followers by hand, and bob asks to follow
    auth = {"Authorization": f"Bearer {await coop_token(app, locked=True)}"}
    await deliver_and_process(app, client, activity("Follow", number=1))
    # Then the request is pending, with no Accept yet
    [request] = (await client.get("/api/v1/follow-requests", headers=auth)).json()
    assert request["actor"] == BOB and request["state"] == "pending"
    assert await sent(app, "Accept") == []
    # When coop accepts it
    response = await client.post(f"/api/v1/follow-requests/{request['id']}/accept", headers=auth)
    # Then bob is a follower and receives the Accept of his Follow
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert [f["actor"] for f in (await client.get("/api/v1/followers", headers=auth)).json()] == [
        BOB
    ]
    [(accept, _)] = await sent(app, "Accept")
    assert accept["object"]["id"] == f"{REMOTE}/activities/1"


async def test_follow_requests__locked_actor_refuses(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth = {"Authorization": f"Bearer {await coop_token(app, locked=True)}"}
    await deliver_and_process(app, client, activity("Follow", number=1))
    [request] = (await client.get("/api/v1/follow-requests", headers=auth)).json()
    response = await client.post(f"/api/v1/follow-requests/{request['id']}/reject", headers=auth)
    assert response.status_code == 204
    assert await follows(app) == [] and len(await sent(app, "Reject")) == 1


async def test_outgoing_follow__pending_until_accept_then_undo(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop follows bob by URI
    auth = {"Authorization": f"Bearer {await coop_token(app)}"}
    response = await client.post("/api/v1/follows", json={"target": BOB}, headers=auth)
    assert response.status_code == 202 and response.json()["state"] == "pending"
    [(follow, inbox)] = await sent(app, "Follow")
    assert inbox == BOB_INBOX and follow["object"] == BOB and follow["actor"] == COOP
    # When bob's signed Accept arrives
    await deliver_and_process(app, client, activity("Accept", number=5, object=follow))
    # Then the follow is accepted
    [listed] = (await client.get("/api/v1/follows", headers=auth)).json()
    assert listed["state"] == "accepted"
    # When coop unfollows, an Undo of that Follow goes to bob
    assert (await client.delete(f"/api/v1/follows/{listed['id']}", headers=auth)).status_code == 204
    [(undo, inbox)] = await sent(app, "Undo")
    assert inbox == BOB_INBOX and undo["object"]["id"] == follow["id"]
    assert await follows(app) == []


async def test_outgoing_follow__reject_removes_it(app: FastAPI, client: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {await coop_token(app)}"}
    await client.post("/api/v1/follows", json={"target": BOB}, headers=auth)
    [(follow, _)] = await sent(app, "Follow")
    await deliver_and_process(app, client, activity("Reject", number=6, object=follow["id"]))
    assert await follows(app) == []


async def test_followers__paged_with_a_link_to_the_next_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop with three accepted followers on three servers
    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        for n in range(3):
            follower = Actor(
                uri=f"https://r{n}.example/u", username="u", domain=f"r{n}.example", type="Person"
            )
            session.add(follower)
            await session.flush()
            session.add(
                Follow(
                    uri=f"https://r{n}.example/f",
                    follower_id=follower.id,
                    followed_id=coop.id,
                    state="accepted",
                )
            )
        await session.commit()
    auth = await coop_auth(app, "read")

    # When coop reads its followers two at a time
    first = await client.get("/api/v1/followers", params={"limit": 2}, headers=auth)
    second = await client.get(first.links["next"]["url"], headers=auth)

    # Then the pages hold them newest first, and the last page names no next one
    assert [f["actor"] for f in first.json()] == ["https://r2.example/u", "https://r1.example/u"]
    assert [f["actor"] for f in second.json()] == ["https://r0.example/u"]
    assert "link" not in second.headers
    # And a cursor or a limit out of range is a 422
    for params in ({"cursor": "x"}, {"cursor": 2**64}, {"limit": 0}, {"limit": 201}):
        response = await client.get("/api/v1/followers", params=params, headers=auth)
        assert response.status_code == 422, params


async def test_profile_edit__sends_followers_an_update_of_the_actor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob following coop
    await deliver_and_process(app, client, activity("Follow", number=1))

    # When coop changes its name through the API
    response = await client.patch(
        "/api/v1/actors/coop", json={"name": "La Coop des Communs"}, headers=await coop_auth(app)
    )
    assert response.status_code == 200, response.text

    # Then bob's server gets an Update of coop's document, public, with the new name and key
    [(update_, inbox)] = await sent(app, "Update")
    assert inbox == f"{REMOTE}/inbox"
    assert (update_["actor"], update_["object"]["id"]) == (COOP, COOP)
    assert update_["object"]["name"] == "La Coop des Communs"
    assert update_["object"]["publicKey"]["owner"] == COOP
    assert "https://w3id.org/security/v1" in update_["@context"]
    assert update_["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
