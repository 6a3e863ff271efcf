"""Checking the proofs of received activities: keys from the actor's assertionMethod, fetched
once, kept, fetched again when a kept one fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import MultikeyResolver, ProofVerification, check_proofs
from federation.multikeys import public_key_multibase
from federation.ports import KnownMultikey
from federation.proofs import sign_document
from tests.federation.test_fetch import make_fetcher

ACTOR = "https://remote.example/users/alice"
KEY_ID = f"{ACTOR}#ed25519-key"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
ALICE = Ed25519PrivateKey.generate()
ACTIVITY = {
    "@context": ["https://www.w3.org/ns/activitystreams"],
    "id": "https://remote.example/activities/1",
    "type": "Offer",
    "actor": ACTOR,
    "object": {"id": "https://remote.example/pledges/1", "amount": {"value": "40.00"}},
}


class Keys:
    """An in-memory ``MultikeyStore``."""

    def __init__(self) -> None:
        self.keys: dict[str, KnownMultikey] = {}

    async def find_multikey(self, controller: str) -> KnownMultikey | None:
        return self.keys.get(controller)

    async def save_multikey(self, key: KnownMultikey) -> None:
        self.keys[key.controller] = key


def actor_document(key: Ed25519PrivateKey = ALICE, key_id: str = KEY_ID) -> dict[str, Any]:
    return {
        "id": ACTOR,
        "type": "Person",
        "inbox": f"{ACTOR}/inbox",
        "assertionMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": ACTOR,
                "publicKeyMultibase": public_key_multibase(key.public_key()),
            }
        ],
    }


def setup(
    document: dict[str, Any] | None = None,
) -> tuple[MultikeyResolver, Keys, list[httpx.Request], dict[str, Any]]:
    served = {"document": document or actor_document()}

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == ACTOR:
            return httpx.Response(
                200,
                content=json.dumps(served["document"]).encode(),
                headers={"Content-Type": "application/activity+json"},
            )
        return httpx.Response(404)

    fetcher, seen = make_fetcher(handler)
    store = Keys()
    return MultikeyResolver(store, fetcher), store, seen, served


def signed(
    key: Ed25519PrivateKey = ALICE, key_id: str = KEY_ID, document: dict[str, Any] = ACTIVITY
) -> dict[str, Any]:
    return sign_document(document, key, verification_method=key_id, created=NOW)


async def check(resolver: MultikeyResolver, document: dict[str, Any]) -> ProofVerification:
    return await check_proofs(document, controller=ACTOR, keys=resolver, now=NOW)


async def test_check_proofs__fetched_once_then_kept() -> None:
    # Given alice's actor document, which lists her Ed25519 key
    resolver, store, seen, _ = setup()

    # When two of her signed activities arrive
    first = await check(resolver, signed())
    second = await check(resolver, signed(document=ACTIVITY | {"id": f"{ACTOR}/2"}))

    # Then both verify, her document was fetched once (the fragment not sent) and kept
    assert first.ok and second.ok
    assert [str(r.url) for r in seen] == [ACTOR]
    assert store.keys[ACTOR].public_key_multibase == public_key_multibase(ALICE.public_key())

    # And another process, sharing the database but not the memory, does not fetch it
    nowhere, fetched = make_fetcher(lambda request: httpx.Response(404))
    assert (await check(MultikeyResolver(store, nowhere), signed())).ok
    assert fetched == []


async def test_check_proofs__replaced_key_fetched_again_once() -> None:
    # Given alice's key is kept, then she replaces it
    resolver, _, seen, served = setup()
    assert (await check(resolver, signed())).ok
    new = Ed25519PrivateKey.generate()
    served["document"] = actor_document(new)

    # When an activity signed with her new key arrives, then one signed with the old one
    assert (await check(resolver, signed(new))).ok
    stale = await check(resolver, signed())

    # Then the new key was fetched when the kept one failed, and the old one fails even after
    # one more fetch
    assert len(seen) == 3
    assert stale.reason == "bad_proof"


async def test_check_proofs__tampered_refused() -> None:
    resolver, _, _, _ = setup()
    document = signed()
    document["object"]["amount"]["value"] = "4000.00"
    assert (await check(resolver, document)).reason == "bad_proof"


async def test_check_proofs__key_not_listed_by_the_actor_refused() -> None:
    # A key id under alice's document that her document does not list
    resolver, _, _, _ = setup()
    outcome = await check(resolver, signed(Ed25519PrivateKey.generate(), f"{ACTOR}#other"))
    assert outcome.reason == "unknown_key"


async def test_check_proofs__key_of_another_actor_refused() -> None:
    # Bob's key (another document, or another host) never proves alice's activities
    resolver, _, seen, _ = setup()
    bob = await check(resolver, signed(key_id="https://remote.example/users/bob#ed25519-key"))
    elsewhere = await check(resolver, signed(key_id="https://other.example/users/alice#k"))
    assert bob.reason == "unknown_key" and elsewhere.reason == "unknown_key"
    assert [str(r.url) for r in seen] == ["https://remote.example/users/bob"]


async def test_check_proofs__unsupported_or_empty_refused() -> None:
    resolver, _, seen, _ = setup()
    other_suite = signed()
    other_suite["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    assert (await check(resolver, other_suite)).reason == "unsupported"
    assert (await check(resolver, ACTIVITY | {"proof": []})).reason == "malformed"
    assert seen == []


async def test_check_proofs__every_proof_of_a_set_must_hold() -> None:
    # Given an activity signed by alice, then by a key she does not list
    resolver, _, _, _ = setup()
    twice = sign_document(
        signed(), Ed25519PrivateKey.generate(), verification_method=f"{ACTOR}#x", created=NOW
    )
    assert (await check(resolver, twice)).reason == "unknown_key"
