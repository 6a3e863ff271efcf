"""Keys belong to their actor: a key id on another host is refused, a bound one never rebound.

Before, an actor could send its own ``Update`` claiming another server's key id; its row took
the key, the real owner's Follows were answered 202 and dropped, and local follows of it
answered 409, for good.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import select

from federation.actors import parse_actor
from federation.errors import KeyResolutionError
from schemas.states import ActivityState
from server.inbox.worker import InboxWorker
from server.storage.models import Activity, Actor, Follow
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    BOB_KEY_ID,
    COOP,
    RemoteServer,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    encode,
    public_pem,
    remote,
    signed_headers,
)

EVIL = "https://evil.example"
MALLORY = f"{EVIL}/users/mallory"
MALLORY_KEY_ID = f"{MALLORY}#main-key"
MALLORY_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def mallory_document(key_id: str = MALLORY_KEY_ID) -> dict[str, Any]:
    return {
        "id": MALLORY,
        "type": "Person",
        "preferredUsername": "mallory",
        "inbox": f"{MALLORY}/inbox",
        "publicKey": {"id": key_id, "owner": MALLORY, "publicKeyPem": public_pem(MALLORY_PRIVATE)},
    }


@pytest.fixture
def evil(remote: RemoteServer) -> RemoteServer:
    """remote.example's fake also serves evil.example's mallory."""
    remote.documents[MALLORY] = encode(mallory_document())
    return remote


async def from_mallory(app: FastAPI, client: httpx.AsyncClient, document: Any) -> None:
    body = encode(document)
    headers = signed_headers(body, path="/inbox", key=MALLORY_PRIVATE, key_id=MALLORY_KEY_ID)
    response = await client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 202, response.text
    state = app.state.communs
    await InboxWorker(state.db, state.urls, on_published=state.federation.wake_delivery).run_once()


async def key_of(app: FastAPI, uri: str) -> str | None:
    async with app.state.communs.db.session() as session:
        return await session.scalar(select(Actor.key_id).where(Actor.uri == uri))


def test_parse_actor__refuses_a_key_on_another_host() -> None:
    with pytest.raises(KeyResolutionError, match="not on the host"):
        parse_actor(mallory_document(key_id=BOB_KEY_ID))
    assert parse_actor(mallory_document()).key_id == MALLORY_KEY_ID


async def test_actor_update__claiming_another_hosts_key_is_not_stored(
    app: FastAPI, client: httpx.AsyncClient, evil: RemoteServer
) -> None:
    # Given mallory, known from a request she signed
    hello = {"id": f"{MALLORY}#hello", "type": "Like", "actor": MALLORY, "object": COOP}
    await from_mallory(app, client, hello)

    # When she sends her own Update claiming bob's key id
    update = {
        "id": f"{MALLORY}#update",
        "type": "Update",
        "actor": MALLORY,
        "object": mallory_document(key_id=BOB_KEY_ID),
    }
    await from_mallory(app, client, update)

    # Then her row keeps her own key, and the Update is ignored with a reason
    assert await key_of(app, MALLORY) == MALLORY_KEY_ID
    async with app.state.communs.db.session() as session:
        row = (
            await session.execute(select(Activity).where(Activity.uri == f"{MALLORY}#update"))
        ).scalar_one()
    assert row.state == ActivityState.ignored and row.error

    # And bob's Follow is applied, and coop can follow him
    await deliver_and_process(app, client, activity("Follow", number=1))
    assert await key_of(app, BOB) == BOB_KEY_ID
    followed = await client.post(
        "/api/v1/follows", json={"target": BOB}, headers=await coop_auth(app)
    )
    assert followed.status_code == 202, followed.text
    async with app.state.communs.db.session() as session:
        assert len(list((await session.execute(select(Follow))).scalars())) == 2


async def test_key_fetch__takes_a_key_back_from_an_actor_of_another_host(
    app: FastAPI, client: httpx.AsyncClient, evil: RemoteServer
) -> None:
    # Given a row stored before keys had to live on their actor's host: mallory holds bob's key
    async with app.state.communs.db.session() as session:
        session.add(
            Actor(
                uri=MALLORY,
                username="mallory",
                domain="evil.example",
                type="Person",
                inbox_uri=f"{MALLORY}/inbox",
                key_id=BOB_KEY_ID,
                public_key_pem=public_pem(MALLORY_PRIVATE),
            )
        )
        await session.commit()

    # When bob follows coop
    await deliver_and_process(app, client, activity("Follow", number=1))

    # Then bob is stored with his key, his Follow applied, and mallory's claim is gone
    assert (await key_of(app, BOB), await key_of(app, MALLORY)) == (BOB_KEY_ID, None)
    async with app.state.communs.db.session() as session:
        follow = (await session.execute(select(Follow))).scalar_one()
        body = await session.scalar(select(Activity.body).where(Activity.type == "Accept"))
    assert follow.state == "accepted" and json.loads(body)["object"]["actor"] == BOB


async def test_actor_update__a_key_bound_on_its_host_is_never_rebound(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob and alice of remote.example, both known
    alice = remote.actor_document("alice")
    remote.documents[alice["id"]] = encode(alice)
    await deliver_and_process(app, client, activity("Follow", number=1))
    async with app.state.communs.db.session() as session:
        session.add(
            Actor(
                uri=alice["id"],
                username="alice",
                domain="remote.example",
                type="Person",
                inbox_uri=alice["inbox"],
                key_id=alice["publicKey"]["id"],
                public_key_pem=alice["publicKey"]["publicKeyPem"],
            )
        )
        await session.commit()

    # When bob's Update claims alice's key id
    claimed = remote.actor_document("bob")
    claimed["publicKey"] = claimed["publicKey"] | {"id": alice["publicKey"]["id"]}
    await deliver_and_process(app, client, activity("Update", number=2, object=claimed))

    # Then both keep their own
    assert await key_of(app, BOB) == BOB_KEY_ID
    assert await key_of(app, alice["id"]) == alice["publicKey"]["id"]
