"""Other implementations' dialects: understood by meaning, not by spelling (issue 18).

Before, a Note typed ``["Note", "Article"]``, replies typed Article, Page, Question or Event, an
``inReplyTo`` given as a Link or a list, and documents compacted with another context (our
terms as full IRIs or prefixed names) were answered 202 and dropped; such an Offer got no
answer at all.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.storage.models import FundingCall, Interaction, Project
from tests.fakeremote import (  # noqa: F401  (fixtures)
    AS2,
    BOB,
    REMOTE,
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)
from tests.server.test_pledge_offers import answers, open_call, raised
from tests.server.test_remote_objects import call_note, coop_follows_bob, create, project_note

COMMUNS = "https://w3id.org/communs/ns#"
SCHEMA = "http://schema.org#"


async def rows(app: FastAPI, table: Any) -> list[Any]:
    async with app.state.communs.db.session() as session:
        return list((await session.execute(select(table))).scalars())


async def test_remote_project__typed_note_and_article_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(project_note(type=["Note", "Article"])), "/inbox")
    [project] = await rows(app, Project)
    assert project.name == "Libre Maps"


@pytest.mark.parametrize(
    ("kind", "in_reply_to"),
    [
        ("Article", "{uri}"),
        ("Page", "{uri}"),
        ("Question", "{uri}"),
        ("Event", "{uri}"),
        (["Note", "Article"], "{uri}"),
        ("Note", {"type": "Link", "href": "{uri}"}),
        ("Note", [f"{REMOTE}/posts/0", "{uri}"]),
        ("Note", [{"type": "Link", "href": "{uri}", "mediaType": "text/html"}]),
    ],
)
async def test_reply__of_any_kind_and_any_in_reply_to_shape_is_stored(
    app: FastAPI, client: httpx.AsyncClient, kind: Any, in_reply_to: Any
) -> None:
    # Given a project of coop's
    published = await client.post(
        "/api/v1/projects", json={"name": "Commons Cloud"}, headers=await coop_auth(app)
    )
    uri = published.json()["uri"]

    # When bob replies, in the dialect of another server
    def filled(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(uri=uri)
        if isinstance(value, list):
            return [filled(item) for item in value]
        return {k: filled(v) for k, v in value.items()}

    reply = {
        "id": f"{REMOTE}/posts/1",
        "type": kind,
        "attributedTo": BOB,
        "inReplyTo": filled(in_reply_to),
        "content": "<p>Count me in</p>",
    }
    await deliver_and_process(app, client, create(reply), "/inbox")

    # Then it is stored as a reply to the project
    [stored] = await rows(app, Interaction)
    assert (stored.kind, stored.object_uri, stored.content_html) == (
        "reply",
        uri,
        "<p>Count me in</p>",
    )


def in_full_iris(note: dict[str, Any]) -> dict[str, Any]:
    """A funding call as a JSON-LD processor compacting with its own context writes it."""
    money = {"type": f"{SCHEMA}MonetaryAmount", "currency": "EUR"}
    note = {k: v for k, v in note.items() if k not in ("goal", "raised", "raisedBySector")}
    return note | {
        "objectType": None,
        f"{COMMUNS}objectType": note["objectType"],
        f"{COMMUNS}status": note.pop("status"),
        f"{COMMUNS}goal": {f"{SCHEMA}value": "50000.00", **money},
        f"{COMMUNS}raised": {"@type": f"{SCHEMA}MonetaryAmount", "schema:value": "0.00"}
        | {"schema:currency": "EUR"},
    }


async def test_remote_call__spelled_in_full_iris_and_prefixed_names_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop follows bob, whose server compacts with its own context
    await coop_follows_bob(app, client)
    note = {k: v for k, v in in_full_iris(call_note()).items() if v is not None}
    document = create(note) | {
        "@context": [AS2, {"schema": SCHEMA, "toot": "http://joinmastodon.org/ns#"}]
    }

    # When it pushes a funding call
    await deliver_and_process(app, client, document, "/inbox")

    # Then the call is stored as if it had used our short names
    [call] = await rows(app, FundingCall)
    assert (call.title, call.status, call.goal_minor, call.currency) == (
        "Fund the maps",
        "open",
        5_000_000,
        "EUR",
    )


@pytest.mark.parametrize("spelling", ["full IRIs", "prefixed names", "our context by URL"])
async def test_offer__in_other_spellings_is_counted_and_accepted(
    app: FastAPI, client: httpx.AsyncClient, spelling: str
) -> None:
    # Given an open call of coop's
    call = await open_call(app, client)

    # When bob offers a pledge in another spelling of our terms
    if spelling == "full IRIs":
        context: Any = AS2
        c, s = COMMUNS, SCHEMA
    elif spelling == "prefixed names":
        context = [AS2, {"c": COMMUNS, "sch": SCHEMA}]
        c, s = "c:", "sch:"
    else:
        context = [AS2, COMMUNS.rstrip("#")]
        c, s = "", ""
    pledge = {
        "id": f"{REMOTE}/pledges/1",
        "type": "Object",
        f"{c}objectType": "Pledge",
        "attributedTo": BOB,
        f"{c}fundingCall": call["uri"],
        f"{c}sector": "civil_society",
        f"{s}amount": {"type": f"{s}MonetaryAmount", f"{s}value": "40.00", f"{s}currency": "EUR"},
    }
    offer = {
        "@context": context,
        "id": f"{REMOTE}/offers/1",
        "type": "Offer",
        "actor": BOB,
        "object": pledge,
        "target": call["uri"],
    }
    await deliver_and_process(app, client, offer, "/actors/coop/inbox")

    # Then it is counted and accepted
    assert await raised(client, call) == "40.00"
    [accept] = await answers(app)
    assert accept["type"] == "Accept" and accept["object"]["id"] == offer["id"]
