"""A fake remote server (remote.example, actor bob) at the transport, and signed inbox posts.

``create_app(settings, transport=...)`` sends every outgoing request of the app — key fetches
and deliveries included — to ``RemoteServer``, which serves bob's actor and records requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from federation.httpsig import SigningKey, sign_request
from federation.multikeys import public_key_multibase
from server.main import create_app
from server.settings import Settings
from tests.conftest import TEST_BASE_URL, create_actor

REMOTE = "https://remote.example"
BOB = f"{REMOTE}/users/bob"
BOB_KEY_ID = f"{BOB}#main-key"
BOB_MULTIKEY_ID = f"{BOB}#ed25519-key"
COOP = f"{TEST_BASE_URL}/actors/coop"
INBOX_PATH = "/actors/coop/inbox"
AS2 = "https://www.w3.org/ns/activitystreams"
AS2_TYPE = "application/activity+json"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


BOB_PRIVATE = _rsa_key()
OTHER_PRIVATE = _rsa_key()  # never published: signatures made with it must fail
NEW_PRIVATE = _rsa_key()  # bob's key after a rotation
#: The Ed25519 key of bob's Object Integrity Proofs, listed in his ``assertionMethod``.
BOB_ED25519 = Ed25519PrivateKey.generate()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class RemoteServer:
    """remote.example: serves bob's actor document (with ``key``'s public half), counts requests."""

    def __init__(self, key: rsa.RSAPrivateKey = BOB_PRIVATE) -> None:
        self.pem = public_pem(key)
        self.gone = False  # bob's account deleted: his document answers 410
        self.requests: list[httpx.Request] = []
        #: More AS2 bodies to serve, by URL (raw bytes: tests may send what json.dumps won't).
        self.documents: dict[str, bytes] = {}

    def actor_document(self, username: str) -> dict[str, Any]:
        uri = f"{REMOTE}/users/{username}"
        return {
            "@context": [AS2, "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": username,
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{REMOTE}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.pem},
            "assertionMethod": [
                {
                    "id": f"{uri}#ed25519-key",
                    "type": "Multikey",
                    "controller": uri,
                    "publicKeyMultibase": public_key_multibase(BOB_ED25519.public_key()),
                }
            ],
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if (
            request.method == "GET"
            and request.url.host == "remote.example"
            and (request.url.path == "/users/bob")
        ):
            if self.gone:
                return httpx.Response(410, json={"type": "Tombstone"})
            body = json.dumps(self.actor_document("bob")).encode()
            return httpx.Response(200, content=body, headers={"Content-Type": AS2_TYPE})
        if request.method == "GET" and str(request.url) in self.documents:
            body = self.documents[str(request.url)]
            return httpx.Response(200, content=body, headers={"Content-Type": AS2_TYPE})
        return httpx.Response(404, json={"error": "not found"})

    @property
    def key_fetches(self) -> int:
        return sum(1 for r in self.requests if r.url.path == "/users/bob")


@pytest.fixture
def remote() -> RemoteServer:
    return RemoteServer()


@pytest.fixture
async def app(settings: Settings, remote: RemoteServer) -> AsyncIterator[FastAPI]:
    """The app, every outgoing request of which reaches ``remote``; with the local actor coop."""
    application = create_app(settings, transport=httpx.MockTransport(remote.handle))
    async with application.router.lifespan_context(application):
        await create_actor(application, "coop")
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as http:
        yield http


# ---------------------------------------------------------------------------------------------
# Helpers


def activity(
    type: str = "Follow", *, number: int = 1, actor: Any = BOB, object: Any = COOP
) -> dict[str, Any]:
    return {
        "@context": AS2,
        "id": f"{REMOTE}/activities/{number}",
        "type": type,
        "actor": actor,
        "object": object,
    }


async def coop_auth(app: FastAPI, *scopes: str) -> dict[str, str]:
    """The ``Authorization`` header of a new token of coop (read and write unless ``scopes``)."""
    from sqlalchemy import select

    from server.domain.tokens import issue_token
    from server.storage.models import Actor

    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        token = await issue_token(
            session, actor_id=coop.id, scopes=list(scopes or ("read", "write"))
        )
    return {"Authorization": f"Bearer {token}"}


def encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def signed_headers(
    body: bytes,
    *,
    path: str = INBOX_PATH,
    key: rsa.RSAPrivateKey = BOB_PRIVATE,
    key_id: str = BOB_KEY_ID,
    now: datetime | None = None,
    scheme: Any = "cavage",
) -> dict[str, str]:
    """Return the headers of a POST of ``body`` to ``path``, signed as the brief's senders do."""
    headers = {"Content-Type": AS2_TYPE}
    return headers | sign_request(
        method="POST",
        url=f"{TEST_BASE_URL}{path}",
        headers=headers,
        body=body,
        key=SigningKey(key_id=key_id, private_key=key),
        scheme=scheme,
        now=now,
    )


def hand_signed_headers(
    body: bytes,
    order: str,
    *,
    algorithm: str = "rsa-sha256",
    path: str = INBOX_PATH,
    key: rsa.RSAPrivateKey = BOB_PRIVATE,
) -> dict[str, str]:
    """Return headers signed without our signer: the signing string is built here, by hand."""
    headers = {
        "Host": "communs.test",
        "Date": format_datetime(datetime.now(UTC), usegmt=True),
        "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "Content-Type": AS2_TYPE,
    }
    by_name = {name.lower(): value for name, value in headers.items()}
    lines = [
        f"{name}: post {path}" if name == "(request-target)" else f"{name}: {by_name[name]}"
        for name in order.split()
    ]
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{BOB_KEY_ID}",algorithm="{algorithm}",headers="{order}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


async def deliver_and_process(
    app: FastAPI, client: httpx.AsyncClient, document: Any, path: str = INBOX_PATH
) -> None:
    """POST a signed activity from bob to ``path`` (202 expected), then run the inbox worker
    once, wired as in production (a processed batch wakes delivery and refreshes Notes)."""
    from server.inbox.worker import InboxWorker

    body = encode(document)
    response = await client.post(path, content=body, headers=signed_headers(body, path=path))
    assert response.status_code == 202, response.text
    state = app.state.communs
    await InboxWorker(state.db, state.urls, on_published=state.federation.wake_delivery).run_once()
