"""A recording fake Mastodon on 127.0.0.1 replies to, likes and boosts a Communs project.

The fake serves its actor like Mastodon does and POSTs Mastodon-shaped activities, signed
the way Mastodon 4.7 signs them, to a real Communs server; Communs fetches the key over real
HTTP, verifies, and shows the counts in the Note it serves.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.httpsig import SigningKey, sign_request
from tests.conftest import create_actor
from tests.fakeremote import public_pem
from tests.realservers import DEADLINE, bound_socket, eventually, run_asgi, serve

pytestmark = pytest.mark.slow

AS2 = "https://www.w3.org/ns/activitystreams"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fake_mastodon(base: str, received: list[dict[str, Any]]) -> Starlette:
    """Mastodon's actor document (ActivityPub::ActorSerializer shape) and a recording inbox."""
    actor = f"{base}/users/gargron"

    async def actor_document(_: Request) -> Response:
        document = {
            "@context": [AS2, "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "gargron",
            "name": "Eugen",
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "followers": f"{actor}/followers",
            "following": f"{actor}/following",
            "endpoints": {"sharedInbox": f"{base}/inbox"},
            "url": f"{base}/@gargron",
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": public_pem(KEY),
            },
        }
        return Response(json.dumps(document), media_type="application/activity+json")

    async def inbox(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response(status_code=202)

    return Starlette(
        routes=[
            Route("/users/gargron", actor_document),
            Route("/users/gargron/inbox", inbox, methods=["POST"]),
            Route("/inbox", inbox, methods=["POST"]),
        ]
    )


async def post_signed(
    http: httpx.AsyncClient, inbox: str, document: dict[str, Any], actor: str
) -> int:
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request(
        method="POST",
        url=inbox,
        headers=headers,
        body=body,
        key=SigningKey(key_id=f"{actor}#main-key", private_key=KEY),
    )
    return (await http.post(inbox, content=body, headers=headers)).status_code


async def test_mastodon__reply_like_boost_over_real_http(database_url: str) -> None:
    received: list[dict[str, Any]] = []
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    actor = f"{base}/users/gargron"
    async with (
        run_asgi(fake_mastodon(base, received), sock),
        serve(database_url) as communs,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given a project published by coop
        _, token = await create_actor(communs.app, "coop")
        project = (
            await http.post(
                f"{communs.base_url}/api/v1/projects",
                json={"name": "Libre Maps"},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
        uri, coop = project["uri"], f"{communs.base_url}/actors/coop"

        # When Mastodon's user likes it (personal inbox), boosts it and replies (shared inbox)
        like = {
            "@context": AS2,
            "id": f"{actor}#likes/7",
            "type": "Like",
            "actor": actor,
            "object": uri,
        }
        boost = {
            "@context": AS2,
            "id": f"{base}/users/gargron/statuses/8/activity",
            "type": "Announce",
            "actor": actor,
            "published": "2026-11-28T10:00:00Z",
            "object": uri,
            "to": [f"{AS2}#Public"],
            "cc": [coop, f"{actor}/followers"],
        }
        note = {
            "id": f"{base}/users/gargron/statuses/9",
            "type": "Note",
            "inReplyTo": uri,
            "attributedTo": actor,
            "published": "2026-11-28T10:01:00Z",
            "content": '<p><span class="h-card"><a href="'
            + coop
            + '" class="u-url mention">@<span>coop</span></a></span> Love it!</p>',
            "to": [f"{AS2}#Public"],
            "cc": [f"{actor}/followers", coop],
            "tag": [{"type": "Mention", "href": coop, "name": "@coop@" + communs.domain}],
        }
        reply = {
            "@context": AS2,
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": actor,
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
        assert await post_signed(http, f"{coop}/inbox", like, actor) == 202
        assert await post_signed(http, f"{communs.base_url}/inbox", boost, actor) == 202
        assert await post_signed(http, f"{communs.base_url}/inbox", reply, actor) == 202

        # Then the Note Communs serves counts them, and the page shows the reply
        async def counted() -> bool:
            served = (await http.get(uri, headers={"Accept": "application/activity+json"})).json()
            return [served[k]["totalItems"] for k in ("replies", "likes", "shares")] == [1, 1, 1]

        await eventually(counted, what="the interactions to be counted")
        page = (await http.get(uri, headers={"Accept": "text/html"})).text
        assert "Love it!" in page

        # When the like is undone, it is no longer counted
        undo = {
            "@context": AS2,
            "id": f"{actor}#likes/7/undo",
            "type": "Undo",
            "actor": actor,
            "object": {k: v for k, v in like.items() if k != "@context"},
        }
        assert await post_signed(http, f"{coop}/inbox", undo, actor) == 202

        async def uncounted() -> bool:
            served = (await http.get(uri, headers={"Accept": "application/activity+json"})).json()
            return served["likes"]["totalItems"] == 0

        await eventually(uncounted, what="the Undo of the like")
