"""Replies, likes and boosts from Mastodon on our objects: stored, counted, undone, deleted."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.storage.models import Interaction
from tests.conftest import TEST_BASE_URL
from tests.fakeremote import (  # noqa: F401  (fixtures)
    AS2_TYPE,
    BOB,
    COOP,
    REMOTE,
    app,
    client,
    coop_auth,
    deliver_and_process,
    encode,
    remote,
    signed_headers,
)

AS2 = {"Accept": AS2_TYPE}


async def publish_project(app: FastAPI, client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/v1/projects", json={"name": "Commons Cloud"}, headers=await coop_auth(app)
    )
    assert response.status_code == 201
    return str(response.json()["uri"])


def like(number: int, target: str) -> dict[str, Any]:
    """A Like shaped like Mastodon's ActivityPub::LikeSerializer."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BOB}#likes/{number}",
        "type": "Like",
        "actor": BOB,
        "object": target,
    }


def boost(number: int, target: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BOB}/statuses/{number}/activity",
        "type": "Announce",
        "actor": BOB,
        "published": "2026-11-28T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [COOP, f"{BOB}/followers"],
        "object": target,
    }


def reply(number: int, target: str, content: str) -> dict[str, Any]:
    note = {
        "id": f"{BOB}/statuses/{number}",
        "type": "Note",
        "inReplyTo": target,
        "published": "2026-11-28T10:00:00Z",
        "attributedTo": BOB,
        "content": content,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{BOB}/followers", COOP],
        "tag": [{"type": "Mention", "href": COOP, "name": "@coop@communs.test"}],
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": BOB,
        "object": note,
        "to": note["to"],
        "cc": note["cc"],
    }


async def totals(client: httpx.AsyncClient, uri: str) -> dict[str, int]:
    path = uri.removeprefix(TEST_BASE_URL)
    return {
        name: (await client.get(f"{path}/{name}", headers=AS2)).json()["totalItems"]
        for name in ("replies", "likes", "shares")
    }


async def test_interactions__like_boost_reply_are_counted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project of coop
    uri = await publish_project(app, client)
    # When bob likes it (personal inbox), boosts and replies to it (shared inbox)
    await deliver_and_process(app, client, like(1, uri), "/actors/coop/inbox")
    await deliver_and_process(app, client, boost(2, uri), "/inbox")
    await deliver_and_process(
        app, client, reply(3, uri, "<p>Great <script>alert(1)</script>work!</p>"), "/inbox"
    )
    # Then each collection counts one, and the reply is kept sanitised
    assert await totals(client, uri) == {"replies": 1, "likes": 1, "shares": 1}
    page = (
        await client.get(f"{uri.removeprefix(TEST_BASE_URL)}/replies?page=true", headers=AS2)
    ).json()
    assert page["orderedItems"] == [f"{BOB}/statuses/3"]
    async with app.state.communs.db.session() as session:
        stored = (
            await session.execute(select(Interaction).where(Interaction.kind == "reply"))
        ).scalar_one()
    assert "script" not in (stored.content_html or "") and "Great" in (stored.content_html or "")


async def test_interactions__undo_and_delete_remove_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    uri = await publish_project(app, client)
    liked, boosted, replied = like(1, uri), boost(2, uri), reply(3, uri, "<p>hi</p>")
    for document in (liked, boosted, replied):
        await deliver_and_process(app, client, document, "/inbox")
    # When bob undoes the like (embedded), the boost (by id) and deletes the reply
    await deliver_and_process(
        app,
        client,
        {"id": f"{BOB}#likes/1/undo", "type": "Undo", "actor": BOB, "object": liked},
        "/inbox",
    )
    await deliver_and_process(
        app,
        client,
        {"id": f"{BOB}/statuses/2/undo", "type": "Undo", "actor": BOB, "object": boosted["id"]},
        "/inbox",
    )
    await deliver_and_process(
        app,
        client,
        {
            "id": f"{BOB}/statuses/3#delete",
            "type": "Delete",
            "actor": BOB,
            "object": {"id": f"{BOB}/statuses/3", "type": "Tombstone"},
        },
        "/inbox",
    )
    # Then nothing is counted any more
    assert await totals(client, uri) == {"replies": 0, "likes": 0, "shares": 0}


async def test_interactions__duplicates_and_foreign_objects_are_ignored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    uri = await publish_project(app, client)
    await deliver_and_process(app, client, like(1, uri), "/inbox")
    await deliver_and_process(app, client, like(1, uri) | {"id": f"{BOB}#likes/1"}, "/inbox")
    await deliver_and_process(app, client, like(2, f"{REMOTE}/statuses/9"), "/inbox")
    await deliver_and_process(
        app, client, reply(4, f"{REMOTE}/statuses/9", "<p>elsewhere</p>"), "/inbox"
    )
    assert await totals(client, uri) == {"replies": 0, "likes": 1, "shares": 0}


async def test_interactions__counts_in_the_note_and_replies_on_the_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    uri = await publish_project(app, client)
    await deliver_and_process(app, client, like(1, uri), "/inbox")
    await deliver_and_process(
        app, client, reply(3, uri, "<p>Lovely <b>commons</b><script>x()</script></p>"), "/inbox"
    )
    path = uri.removeprefix(TEST_BASE_URL)
    note = (await client.get(path, headers=AS2)).json()
    assert note["likes"]["totalItems"] == 1 and note["shares"]["totalItems"] == 0
    assert note["replies"] == {
        "id": f"{uri}/replies",
        "type": "OrderedCollection",
        "totalItems": 1,
        "first": f"{uri}/replies?page=true",
    }
    page = (await client.get(path, headers={"Accept": "text/html"})).text
    assert "1 reply · 1 like · 0 boosts" in page
    assert "Lovely <b>commons</b>" in page and "x()" not in page


async def test_interactions__a_cached_note_is_refreshed_once_a_like_is_processed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project whose Note was already served (and cached)
    uri = await publish_project(app, client)
    path = uri.removeprefix(TEST_BASE_URL)
    assert (await client.get(path, headers=AS2)).json()["likes"]["totalItems"] == 0
    # When a like is processed by the inbox worker of this process
    await deliver_and_process(app, client, like(1, uri), "/inbox")
    # Then the next GET counts it
    assert (await client.get(path, headers=AS2)).json()["likes"]["totalItems"] == 1
