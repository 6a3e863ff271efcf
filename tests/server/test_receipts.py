"""Receipts anyone can check: holding only JSON documents, a third party verifies that a
call's owner accepted a given pledge, between two real instances."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.storage.models import Activity
from tests.conftest import create_actor
from tests.realservers import DEADLINE, eventually, serve
from tests.receipts import proven_by

pytestmark = pytest.mark.slow

AS2 = {"Accept": "application/activity+json"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def accepted_pledge(
    accept: dict[str, Any], owner: dict[str, Any], call_create: dict[str, Any]
) -> dict[str, Any] | None:
    """Return the pledge that the JSON proves the call's owner accepted, else None.

    ``accept`` is the Accept the pledger received, ``owner`` the owner's actor document and
    ``call_create`` the Create of the call from the owner's outbox: no server is asked.
    """
    if accept.get("type") != "Accept" or accept.get("actor") != owner.get("id"):
        return None
    if not proven_by(accept, owner) or not proven_by(call_create, owner):
        return None
    offer, call = accept["object"], call_create["object"]
    pledge = offer["object"]
    if call_create.get("type") != "Create" or call.get("attributedTo") != owner["id"]:
        return None
    if offer.get("target") != call["id"] or pledge.get("fundingCall") != call["id"]:
        return None
    return dict(pledge)


async def test_receipt__a_third_party_checks_the_owners_accept_with_only_json(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given alice's funding call on A, and bob on B who pledges 250 EUR to it
        _, alice = await create_actor(a.app, "alice")
        _, bob = await create_actor(b.app, "bob", kind="company")
        call = (
            await http.post(
                f"{a.base_url}/api/v1/funding-calls",
                json={
                    "title": "Fund the maps",
                    "goal": {"amount": "1000.00", "currency": "EUR"},
                    "deadline": "2099-01-01",
                },
                headers=bearer(alice),
            )
        ).json()
        pledged = await http.post(
            f"{b.base_url}/api/v1/pledges",
            json={
                "funding_call": call["uri"],
                "amount": {"amount": "250.00", "currency": "EUR"},
                "sector": "private",
                "message": "Count us in",
            },
            headers=bearer(bob),
        )
        assert pledged.status_code == 202, pledged.text

        async def accept_received() -> bytes | None:
            async with b.app.state.communs.db.session() as session:
                return await session.scalar(
                    select(Activity.body).where(
                        Activity.direction == "in", Activity.type == "Accept"
                    )
                )

        accept_bytes = await eventually(accept_received, what="A's Accept of the pledge")

        # When a third party is handed three JSON texts: the Accept bob received, alice's
        # actor document and her outbox (where the call's Create is listed)
        owner_text = (await http.get(f"{a.base_url}/actors/alice", headers=AS2)).text
        outbox_text = (
            await http.get(f"{a.base_url}/actors/alice/outbox?page=true", headers=AS2)
        ).text

    # Then, from those texts alone, the pledge alice accepted is bob's 250 EUR
    accept, owner = json.loads(accept_bytes), json.loads(owner_text)
    [create] = [
        item
        for item in json.loads(outbox_text)["orderedItems"]
        if item["type"] == "Create" and item["object"]["id"] == call["uri"]
    ]
    pledge = accepted_pledge(accept, owner, create)
    assert pledge is not None
    assert pledge["id"] == pledged.json()["uri"]
    assert pledge["attributedTo"] == f"{b.base_url}/actors/bob"
    assert pledge["amount"] == {"type": "MonetaryAmount", "value": "250.00", "currency": "EUR"}

    # And no forgery passes: another amount, another call, another signer
    richer = copy.deepcopy(accept)
    richer["object"]["object"]["amount"]["value"] = "2500.00"
    elsewhere = copy.deepcopy(accept)
    elsewhere["object"]["target"] = f"{a.base_url}/funding-calls/other"
    impostor = copy.deepcopy(owner)
    impostor["assertionMethod"][0]["publicKeyMultibase"] = (
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )
    assert accepted_pledge(richer, owner, create) is None
    assert accepted_pledge(elsewhere, owner, create) is None
    assert accepted_pledge(accept, impostor, create) is None
