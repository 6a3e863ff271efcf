"""Offers of pledges received from another instance: validated, counted once, answered."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.domain.tokens import issue_token
from server.storage.models import Activity, Actor, Delivery, Pledge
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    REMOTE,
    app,
    client,
    deliver_and_process,
    encode,
    remote,
    signed_headers,
)


async def open_call(
    app: FastAPI, client: httpx.AsyncClient, currency: str = "EUR"
) -> dict[str, Any]:
    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        token = await issue_token(session, actor_id=coop.id, scopes=["read", "write"])
    response = await client.post(
        "/api/v1/funding-calls",
        json={
            "title": "Maps",
            "goal": {"amount": "100.00", "currency": currency},
            "deadline": "2099-01-01",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def offer(
    call_uri: str,
    number: int = 1,
    *,
    value: Any = "40.00",
    currency: str = "EUR",
    sector: str = "civil_society",
) -> dict[str, Any]:
    pledge = {
        "id": f"{REMOTE}/pledges/{number}",
        "type": "Object",
        "objectType": "Pledge",
        "attributedTo": BOB,
        "fundingCall": call_uri,
        "sector": sector,
        "amount": {"type": "MonetaryAmount", "value": value, "currency": currency},
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{REMOTE}/offers/{number}",
        "type": "Offer",
        "actor": BOB,
        "object": pledge,
        "target": call_uri,
    }


async def answers(app: FastAPI) -> list[dict[str, Any]]:
    """Accepts and Rejects queued for bob's inbox, oldest first."""
    async with app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Activity.body)
            .join(Delivery, Delivery.activity_id == Activity.id)
            .where(col_in(Activity.type), Delivery.inbox_uri == f"{BOB}/inbox")
            .order_by(Activity.id)
        )
        return [json.loads(body) for body in rows.scalars()]


def col_in(column: Any) -> Any:
    return column.in_(["Accept", "Reject"])


async def raised(client: httpx.AsyncClient, call: dict[str, Any]) -> str:
    return str((await client.get(f"/api/v1/funding-calls/{call['id']}")).json()["raised"]["amount"])


async def test_offer__accepted_counted_and_answered(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    call = await open_call(app, client)
    await deliver_and_process(app, client, offer(call["uri"]), "/actors/coop/inbox")
    assert await raised(client, call) == "40.00"
    [accept] = await answers(app)
    assert accept["type"] == "Accept" and accept["object"]["id"] == f"{REMOTE}/offers/1"
    assert accept["actor"] == COOP


async def test_offer__repeated_is_counted_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    call = await open_call(app, client)
    await deliver_and_process(app, client, offer(call["uri"]), "/actors/coop/inbox")
    await deliver_and_process(
        app, client, offer(call["uri"]) | {"id": f"{REMOTE}/offers/1-again"}, "/actors/coop/inbox"
    )
    assert await raised(client, call) == "40.00"
    assert [a["type"] for a in await answers(app)] == ["Accept", "Accept"]


async def test_offer__invalid_is_rejected_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    call = await open_call(app, client)
    bad = [
        offer(call["uri"], 1, currency="USD"),
        offer(call["uri"], 2, value=40.0),
        offer(call["uri"], 3, value="-1"),
        offer(call["uri"], 4, sector="army"),
    ]
    for document in bad:
        await deliver_and_process(app, client, document, "/actors/coop/inbox")
    rejects = await answers(app)
    assert [r["type"] for r in rejects] == ["Reject"] * 4
    assert "EUR" in rejects[0]["content"] and "decimal string" in rejects[1]["content"]
    assert await raised(client, call) == "0.00"


async def test_undo_offer__withdraws_while_open(app: FastAPI, client: httpx.AsyncClient) -> None:
    call = await open_call(app, client)
    made = offer(call["uri"])
    await deliver_and_process(app, client, made, "/actors/coop/inbox")
    await deliver_and_process(
        app,
        client,
        {"id": f"{REMOTE}/offers/1/undo", "type": "Undo", "actor": BOB, "object": made},
        "/actors/coop/inbox",
    )
    assert await raised(client, call) == "0.00"


async def test_offer__to_an_unknown_call_is_ignored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await open_call(app, client)
    await deliver_and_process(
        app, client, offer("http://communs.test/funding-calls/nope"), "/actors/coop/inbox"
    )
    assert await answers(app) == []


@pytest.mark.parametrize(
    "pledge_id",
    ["http://communs.test/pledges/forged", "https://elsewhere.example/pledges/1"],
    ids=["our-namespace", "a-third-server"],
)
async def test_offer__a_pledge_id_off_the_pledgers_server_is_rejected_and_not_stored(
    app: FastAPI, client: httpx.AsyncClient, pledge_id: str
) -> None:
    # Given coop's open call
    call = await open_call(app, client)
    # When bob offers a pledge whose id is not on his own server
    forged = offer(call["uri"])
    forged["object"]["id"] = pledge_id
    await deliver_and_process(app, client, forged, "/actors/coop/inbox")
    # Then the Offer is rejected with the reason, and nothing is stored or counted
    [reject] = await answers(app)
    assert reject["type"] == "Reject" and "pledger's own server" in reject["content"]
    async with app.state.communs.db.session() as session:
        assert (await session.execute(select(Pledge))).scalars().all() == []
    assert await raised(client, call) == "0.00"
