"""A real recording inbox on 127.0.0.1 follows an actor and receives its publications.

Project and funding call are created, changed, pledged to and deleted through the JSON API;
the delivery worker sends each activity over real HTTP (the aiohttp-backed client, SSRF guard
and all); the inbox checks every signature with the actor's public key and every Note against
Mastodon's rules (FEDERATION.md, "What we publish").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from federation.httpsig import verify_request
from federation.keys import load_public_key
from server.clock import utcnow
from server.publishing.client import make_transport
from server.publishing.worker import DeliveryWorker
from tests.conftest import create_actor
from tests.publications import PUBLIC, bearer, call_body, follow_from, pledge_body, project_body
from tests.realservers import recording_inbox

pytestmark = pytest.mark.slow


def check_note(note: dict[str, Any], actor_uri: str) -> None:
    """Mastodon's rules for an outgoing post."""
    assert note["type"] == "Note" and "summary" not in note
    assert "#" not in note["id"] and urlsplit(note["id"]).netloc == urlsplit(actor_uri).netloc
    assert note["attributedTo"] == actor_uri and note["url"] and note["published"]
    assert note["to"] == [PUBLIC] and note["cc"] == [f"{actor_uri}/followers"]
    hashtags = [t for t in note["tag"] if t["type"] == "Hashtag"]
    assert hashtags and all(t["name"].startswith("#") and t["href"] for t in hashtags)
    for tag in hashtags:
        assert f"#<span>{tag['name'][1:]}</span></a>" in note["content"]


async def test_publications__reach_a_real_inbox_signed_and_mastodon_shaped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with recording_inbox() as (recorder, inbox_base):
        # Given a recording inbox following coop
        actor, token = await create_actor(app, "coop")
        await follow_from(app, actor, inbox_base)
        http = make_transport(allow_private_networks=True)
        worker = DeliveryWorker(app.state.communs.db, http)

        async def step(method: str, path: str, body: Any = None) -> dict[str, Any]:
            response = await client.request(method, path, json=body, headers=bearer(token))
            assert response.is_success, response.text
            assert await worker.run_once() == 1
            return response.json() if response.content else {}

        # When coop publishes a project and a funding call, changes it, records a pledge,
        # and deletes both
        project = await step("POST", "/api/v1/projects", project_body(tags=["cloud"]))
        call = await step("POST", "/api/v1/funding-calls", call_body(project_id=project["id"]))
        calls = f"/api/v1/funding-calls/{call['id']}"
        await step("PATCH", calls, {"summary": "Now with a bigger team."})
        await step("POST", f"{calls}/pledges", pledge_body("12500.00"))
        await step("DELETE", calls)
        await step("DELETE", f"/api/v1/projects/{project['id']}")
        await http.aclose()

    # Then the shared inbox received each activity once, in order
    assert [path for path, _, _ in recorder.bodies] == ["/inbox"] * 6
    activities = [json.loads(body) for _, _, body in recorder.bodies]
    kinds = [(a["type"], a["object"]["id"]) for a in activities]
    assert kinds == [
        ("Create", project["uri"]),
        ("Create", call["uri"]),
        ("Update", call["uri"]),
        ("Update", call["uri"]),
        ("Delete", call["uri"]),
        ("Delete", project["uri"]),
    ]
    # And every POST carries a valid signature by coop's key over the exact bytes
    public_key = load_public_key(actor.public_key_pem)
    for path, headers, body in recorder.bodies:
        verification = verify_request(
            method="POST",
            url=f"{inbox_base}{path}",
            headers=httpx.Headers(headers),
            body=body,
            public_key=public_key,
            now=utcnow(),
        )
        assert verification.ok, verification
        assert headers["content-type"] == "application/activity+json"
        assert headers["user-agent"].startswith("Communs/")
    # And every Note follows Mastodon's rules, with strictly increasing `updated`
    for activity in activities:
        assert activity["actor"] == actor.uri and "#" not in activity["id"]
        if activity["type"] in ("Create", "Update"):
            check_note(activity["object"], actor.uri)
        else:
            assert activity["object"]["type"] == "Tombstone" and activity["to"] == [PUBLIC]
    notes = [a["object"] for a in activities[1:4]]
    stamps = [notes[0]["published"], notes[1]["updated"], notes[2]["updated"]]
    assert stamps == sorted(set(stamps)) and "updated" not in notes[0]
    assert notes[2]["raised"] == {"type": "MonetaryAmount", "value": "12500.00", "currency": "EUR"}
    assert "€12,500.00 of €50,000.00 raised (25%)" in notes[2]["content"]
