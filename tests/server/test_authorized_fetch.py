"""Authorized-fetch mode: AS2 GETs of /actors/... need a valid HTTP signature.

The instance actor (``/actor``), WebFinger and HTML pages stay public, so peers can verify our
own signed requests and people can still find and read profiles. The signer's key is served by
a fake remote server behind ``create_app(settings, transport=...)``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig import SigningKey, sign_request
from server.main import create_app
from server.settings import Settings
from tests.conftest import TEST_BASE_URL, create_actor

REMOTE = "https://remote.example"
BOB = f"{REMOTE}/users/bob"
BOB_KEY = SigningKey(
    key_id=f"{BOB}#main-key",
    private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
)
STRANGER_KEY = SigningKey(  # claims bob's keyId, but bob never published it
    key_id=BOB_KEY.key_id,
    private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
)
AS2_TYPE = "application/activity+json"
AS2_ACCEPT = {"Accept": AS2_TYPE}


def bob_document(key: SigningKey = BOB_KEY) -> dict[str, Any]:
    pem = (
        key.private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": BOB,
        "type": "Person",
        "preferredUsername": "bob",
        "inbox": f"{BOB}/inbox",
        "publicKey": {"id": BOB_KEY.key_id, "owner": BOB, "publicKeyPem": pem},
    }


class RemoteServer:
    """remote.example: serves bob's actor document and records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.key = BOB_KEY  # bob's current key: a test rotates it

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "remote.example" and request.url.path == "/users/bob":
            body = json.dumps(bob_document(self.key)).encode()
            return httpx.Response(200, content=body, headers={"Content-Type": AS2_TYPE})
        return httpx.Response(404)


async def running_client(
    settings: Settings, remote: RemoteServer
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, transport=httpx.MockTransport(remote.handle))
    async with application.router.lifespan_context(application):
        await create_actor(application, "coop")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as http:
            yield http


@pytest.fixture
def remote() -> RemoteServer:
    return RemoteServer()


@pytest.fixture
async def client(settings: Settings, remote: RemoteServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an instance in authorized-fetch mode, with the local actor coop."""
    async for http in running_client(
        settings.model_copy(update={"authorized_fetch": True}), remote
    ):
        yield http


@pytest.fixture
async def open_client(settings: Settings, remote: RemoteServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an instance with authorized fetch off (the default)."""
    assert settings.authorized_fetch is False
    async for http in running_client(settings, remote):
        yield http


def signed_get(path: str, key: SigningKey = BOB_KEY) -> dict[str, str]:
    """Return the headers of a GET signed over ``(request-target) host date``."""
    signed = sign_request(
        method="GET", url=f"{TEST_BASE_URL}{path}", headers=AS2_ACCEPT, body=None, key=key
    )
    assert 'headers="(request-target) host date"' in signed["Signature"]
    return AS2_ACCEPT | signed


KEY_ONLY = {
    "@context",
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "publicKey",
    "assertionMethod",
    "endpoints",
}


@pytest.mark.parametrize("path", ["/actors/coop/followers", "/actors/coop/outbox"])
async def test_authorized_fetch__unsigned_as2_get_refused(
    client: httpx.AsyncClient, remote: RemoteServer, path: str
) -> None:
    response = await client.get(path, headers=AS2_ACCEPT)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "signature" in response.json()["detail"]
    assert remote.requests == []


async def test_authorized_fetch__unsigned_actor_get_is_key_only(
    client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # When a server that fetches keys unsigned GETs the actor
    response = await client.get("/actors/coop", headers=AS2_ACCEPT)

    # Then it gets what verifying coop's signatures needs, and nothing more, as on Mastodon
    assert response.status_code == 200
    document = response.json()
    assert set(document) == KEY_ONLY
    assert document["publicKey"]["owner"] == document["id"] == f"{TEST_BASE_URL}/actors/coop"
    assert response.headers["vary"] == "Accept, Signature"
    assert remote.requests == []


async def test_authorized_fetch__signed_get_served(
    client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # When bob's server GETs the actor with a signature by bob's key
    response = await client.get("/actors/coop", headers=signed_get("/actors/coop"))

    # Then the key was fetched from remote.example and the actor is served
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == AS2_TYPE
    assert response.json()["id"] == f"{TEST_BASE_URL}/actors/coop"
    assert [str(r.url) for r in remote.requests] == [BOB]

    # And a second signed GET reuses the key
    path = "/actors/coop/followers"
    response = await client.get(path, headers=signed_get(path))
    assert response.status_code == 200
    assert response.json()["type"] == "OrderedCollection"
    assert len(remote.requests) == 1


async def test_authorized_fetch__signed_by_unpublished_key_refused(
    client: httpx.AsyncClient,
) -> None:
    path = "/actors/coop/followers"
    response = await client.get(path, headers=signed_get(path, STRANGER_KEY))
    assert response.status_code == 401
    assert "invalid HTTP signature" in response.json()["detail"]


async def test_authorized_fetch__rotated_key_is_fetched_again_once(
    client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob's key is cached, and bob then rotates it (same keyId, as Mastodon does)
    path = "/actors/coop/followers"
    assert (await client.get(path, headers=signed_get(path))).status_code == 200
    remote.key = STRANGER_KEY

    # When bob signs a GET with his new key
    response = await client.get(path, headers=signed_get(path, STRANGER_KEY))

    # Then the stale key fails, the key is fetched again exactly once, and the GET is served
    assert response.status_code == 200, response.text
    assert [str(r.url) for r in remote.requests] == [BOB, BOB]

    # And the old key no longer verifies: one more fetch, then a refusal
    response = await client.get(path, headers=signed_get(path))
    assert response.status_code == 401
    assert len(remote.requests) == 3


async def test_authorized_fetch__signature_for_another_path_refused(
    client: httpx.AsyncClient,
) -> None:
    headers = signed_get("/actors/coop/followers")
    response = await client.get("/actors/coop/outbox", headers=headers)
    assert response.status_code == 401


async def test_authorized_fetch__instance_actor_stays_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/actor", headers=AS2_ACCEPT)
    assert response.status_code == 200
    assert response.json()["id"] == f"{TEST_BASE_URL}/actor"


async def test_authorized_fetch__webfinger_stays_public(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:coop@communs.test"}
    )
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:coop@communs.test"


async def test_authorized_fetch__html_profile_stays_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/actors/coop", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_authorized_fetch__off_serves_unsigned_as2(open_client: httpx.AsyncClient) -> None:
    response = await open_client.get("/actors/coop", headers=AS2_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == AS2_TYPE


async def test_authorized_fetch__cached_actor_still_needs_a_signature(
    client: httpx.AsyncClient,
) -> None:
    # Given the actor document cached by a signed GET
    signed = await client.get("/actors/coop", headers=signed_get("/actors/coop"))
    assert signed.status_code == 200

    # When it is asked for again, unsigned, then signed by a key bob never published
    unsigned = await client.get("/actors/coop", headers=AS2_ACCEPT)
    forged = await client.get("/actors/coop", headers=signed_get("/actors/coop", STRANGER_KEY))

    # Then the cache answers neither with the whole document
    assert set(unsigned.json()) == KEY_ONLY
    assert set(forged.json()) == KEY_ONLY
    again = await client.get("/actors/coop", headers=signed_get("/actors/coop"))
    assert again.status_code == 200 and again.content == signed.content
    assert "summary" in again.json() and again.headers["vary"] == "Accept, Signature"
