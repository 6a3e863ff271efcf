"""Receipts signed with each actor's Ed25519 key (FEP-8b32, FEP-521a): what carries a proof,
keys that never leave the database, and the proofs of what we receive."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from federation.multikeys import assertion_key, load_multikey
from federation.proofs import sign_document
from schemas.context import DATA_INTEGRITY, MULTIKEY
from server.clock import utcnow
from server.storage.models import Activity, Actor
from tests.conftest import create_actor
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    BOB_ED25519,
    BOB_MULTIKEY_ID,
    COOP,
    REMOTE,
    RemoteServer,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    encode,
    remote,
    signed_headers,
)
from tests.publications import AS2_ACCEPT, pledge_body, sent
from tests.receipts import proven_by, signers
from tests.server.test_pledge_offers import answers, offer
from tests.server.test_remote_objects import call_note, coop_follows_bob, create

COOP_KEY = f"{COOP}#ed25519-key"


async def actor_document(client: httpx.AsyncClient, username: str = "coop") -> dict[str, Any]:
    response = await client.get(f"/actors/{username}", headers=AS2_ACCEPT)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def coop_call(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/funding-calls",
        json={
            "title": "Maps",
            "goal": {"amount": "100.00", "currency": "EUR"},
            "deadline": "2099-01-01",
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def forged(document: dict[str, Any]) -> dict[str, Any]:
    """The same document with one figure changed after signing."""
    changed = copy.deepcopy(document)
    target = changed.get("object", changed)
    target = target.get("object", target) if isinstance(target, dict) else changed
    money = target.get("amount") or target.get("raised")
    money["value"] = "99999.00"
    return changed


# ---------------------------------------------------------------------------------------------
# Keys


async def test_actor__lists_its_ed25519_key_as_a_multikey(client: httpx.AsyncClient) -> None:
    document = await actor_document(client)
    [key] = document["assertionMethod"]
    assert key == {
        "id": COOP_KEY,
        "type": "Multikey",
        "controller": COOP,
        "publicKeyMultibase": key["publicKeyMultibase"],
    }
    assert key["publicKeyMultibase"].startswith("z6Mk")
    assert assertion_key(document, COOP_KEY, now=utcnow()) == load_multikey(
        key["publicKeyMultibase"]
    )
    # beside the RSA key of HTTP signatures, with the contexts that define both
    assert document["publicKey"]["id"] == f"{COOP}#main-key"
    assert MULTIKEY in document["@context"]
    assert "assertionMethod" in document["@context"][-1]


async def test_keys__private_halves_never_leave_the_database(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop, with a call, a pledge and an answered Offer
    auth = await coop_auth(app)
    call = await coop_call(client, auth)
    await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body("10.00"), headers=auth
    )
    await deliver_and_process(app, client, offer(call["uri"]), "/actors/coop/inbox")
    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
    assert coop.assertion_private_key_pem and coop.private_key_pem
    secrets = [
        line
        for pem in (coop.assertion_private_key_pem, coop.private_key_pem)
        for line in pem.splitlines()[1:-1]
    ]

    # When everything coop shows is read
    pledges = (await client.get(f"/api/v1/funding-calls/{call['id']}/pledges")).json()["items"]
    shown = [
        (await client.get("/api/v1/actors/coop", headers=auth)).text,
        (await client.get("/actors/coop", headers=AS2_ACCEPT)).text,
        (await client.get("/actors/coop/outbox?page=true", headers=AS2_ACCEPT)).text,
        (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).text,
        *[(await client.get(f"/pledges/{p['id']}", headers=AS2_ACCEPT)).text for p in pledges],
        *[json.dumps(document) for document in await sent(app)],
    ]

    # Then no private key appears anywhere
    for text in shown:
        assert "PRIVATE" not in text and "ssertionPrivate" not in text
        assert not any(line in text for line in secrets)


# ---------------------------------------------------------------------------------------------
# What carries a proof


async def test_funding_call__create_and_update_proven_by_the_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop, who publishes a project, then a call, and records a pledge on it
    auth = await coop_auth(app)
    project = await client.post("/api/v1/projects", json={"name": "Maps"}, headers=auth)
    call = await coop_call(client, auth)
    await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body("10.00"), headers=auth
    )
    owner = await actor_document(client)

    # Then the call's Create and Update carry coop's proof, over the Data Integrity context
    published = await sent(app, call["uri"])
    assert [a["type"] for a in published] == ["Create", "Update"]
    for document in published:
        assert signers(document) == [COOP_KEY]
        assert document["@context"][:2] == ["https://www.w3.org/ns/activitystreams", DATA_INTEGRITY]
        assert proven_by(document, owner)
        # And a forger's figures do not hold
        assert not proven_by(forged(document), owner)
    assert published[-1]["object"]["raised"]["value"] == "10.00"

    # And the project's Create carries none (only receipts do)
    [project_create] = await sent(app, project.json()["uri"])
    assert "proof" not in project_create


async def test_pledge__served_with_the_proofs_of_the_local_actors_it_names(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call, a pledge by region (another local actor) and one coop recorded
    auth = await coop_auth(app)
    call = await coop_call(client, auth)
    _, region_token = await create_actor(app, "region")
    by_region = await client.post(
        "/api/v1/pledges",
        json={
            "funding_call": call["uri"],
            "amount": {"amount": "30.00", "currency": "EUR"},
            "sector": "public",
            "message": "",
        },
        headers={"Authorization": f"Bearer {region_token}"},
    )
    assert by_region.status_code == 202, by_region.text
    recorded = await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body("10.00"), headers=auth
    )
    owner, region = await actor_document(client), await actor_document(client, "region")

    # When peers read both pledges
    mine = (await client.get(f"/pledges/{by_region.json()['id']}", headers=AS2_ACCEPT)).json()
    theirs = (await client.get(f"/pledges/{recorded.json()['id']}", headers=AS2_ACCEPT)).json()

    # Then region's carries region's proof and coop's, who accepted it; the recorded one coop's
    assert signers(mine) == [f"{region['id']}#ed25519-key", COOP_KEY]
    assert proven_by(mine, region) and proven_by(mine, owner)
    assert mine["status"] == "accepted" and mine["amount"]["value"] == "30.00"
    assert signers(theirs) == [COOP_KEY] and proven_by(theirs, owner)
    assert not proven_by(forged(mine), owner) and not proven_by(forged(theirs), owner)


async def test_offer_answers__accept_and_reject_proven_by_the_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call, a valid Offer from bob and one in another currency
    call = await coop_call(client, await coop_auth(app))
    await deliver_and_process(app, client, offer(call["uri"], 1), "/actors/coop/inbox")
    await deliver_and_process(
        app, client, offer(call["uri"], 2, currency="USD"), "/actors/coop/inbox"
    )
    owner = await actor_document(client)

    # Then coop's Accept and Reject, each embedding bob's Offer, carry coop's proof
    accept, reject = await answers(app)
    assert (accept["type"], reject["type"]) == ("Accept", "Reject")
    for answer in (accept, reject):
        assert answer["object"]["object"]["attributedTo"] == BOB
        assert proven_by(answer, owner) and not proven_by(forged(answer), owner)


async def test_offer__to_a_remote_call_proven_by_the_pledger(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob's call, which coop follows
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(call_note()), "/inbox")

    # When coop pledges to it
    response = await client.post(
        "/api/v1/pledges",
        json={
            "funding_call": f"{REMOTE}/funding-calls/1",
            "amount": {"amount": "25.00", "currency": "EUR"},
            "sector": "private",
            "message": "",
        },
        headers=await coop_auth(app),
    )
    assert response.status_code == 202, response.text

    # Then the Offer sent to bob carries coop's proof
    [made] = [a for a in await sent(app) if a["type"] == "Offer"]
    assert made["object"]["amount"]["value"] == "25.00"
    assert signers(made) == [COOP_KEY]
    owner = await actor_document(client)
    assert proven_by(made, owner) and not proven_by(forged(made), owner)

    # And so does its withdrawal
    pledge_id = response.json()["id"]
    withdrawn = await client.delete(f"/api/v1/pledges/{pledge_id}", headers=await coop_auth(app))
    assert withdrawn.is_success, withdrawn.text
    [undo] = [a for a in await sent(app) if a["type"] == "Undo"]
    assert undo["object"]["type"] == "Offer" and signers(undo) == [COOP_KEY]
    tampered = copy.deepcopy(undo)
    tampered["object"]["id"] += "-other"
    assert proven_by(undo, owner) and not proven_by(tampered, owner)


# ---------------------------------------------------------------------------------------------
# Proofs of what we receive


def bob_signed(
    document: dict[str, Any], *, key: Any = BOB_ED25519, key_id: str = BOB_MULTIKEY_ID
) -> dict[str, Any]:
    return sign_document(document, key, verification_method=key_id, created=utcnow())


async def post(client: httpx.AsyncClient, document: dict[str, Any]) -> httpx.Response:
    body = encode(document)
    return await client.post("/actors/coop/inbox", content=body, headers=signed_headers(body))


async def received(app: FastAPI) -> list[str]:
    async with app.state.communs.db.session() as session:
        rows = await session.execute(select(Activity.uri).where(Activity.direction == "in"))
        return list(rows.scalars())


async def test_inbox__proof_by_the_actor_accepted(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    response = await post(client, bob_signed(activity("Like", object=f"{COOP}/x")))
    assert response.status_code == 202, response.text
    assert await received(app) == [f"{REMOTE}/activities/1"]


async def test_inbox__tampered_proof_refused_and_nothing_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob's signed Offer, whose amount is raised after signing (the HTTP signature is
    # made over the tampered body, so only the proof can tell)
    document = bob_signed(offer(f"{COOP}/funding-calls/x"))
    document["object"]["amount"]["value"] = "4000.00"

    # When it is posted, then it is refused and nothing is stored
    response = await post(client, document)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("proof refused, bad_proof")
    assert await received(app) == []


async def test_inbox__proof_by_a_key_bob_does_not_list_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate()
    unlisted = bob_signed(activity("Like", number=1), key=stranger, key_id=f"{BOB}#other")
    impostor = bob_signed(activity("Like", number=2), key=stranger)  # under bob's key id
    carol = bob_signed(activity("Like", number=3), key_id=f"{REMOTE}/users/carol#ed25519-key")
    for document in (unlisted, impostor, carol):
        response = await post(client, document)
        assert response.status_code == 401, response.text
        assert "proof" in response.json()["detail"]
    assert await received(app) == []


async def test_inbox__unsupported_proof_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    document = bob_signed(activity("Like"))
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    response = await post(client, document)
    assert response.status_code == 401 and "unsupported" in response.json()["detail"]
    assert await received(app) == []


async def test_inbox__without_proof_http_signature_rules_stay(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert (await post(client, activity("Like", object=f"{COOP}/x"))).status_code == 202


async def test_inbox__deleted_account_delete_needs_no_reachable_key(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob, known by his HTTP signature key only, whose account is then deleted
    assert (await post(client, activity("Like", object=f"{COOP}/x"))).status_code == 202
    remote.gone = True

    # When his server sends Delete{bob} with a proof whose key can no longer be fetched
    delete = bob_signed(activity("Delete", number=2, object=BOB))
    response = await post(client, delete)

    # Then the HTTP signature by the key we hold is enough, as without a proof
    assert response.status_code == 202, response.text
    # But a tampered proof on any other activity is still refused
    like = bob_signed(activity("Like", number=3, object=f"{COOP}/y"))
    like["object"] = f"{COOP}/z"
    assert (await post(client, like)).status_code == 401
