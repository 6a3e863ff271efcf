"""Remote projects and funding calls, rebuilt from pushed Notes; bad payloads never stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from schemas.states import FollowState
from server.storage.models import Actor, Follow, FundingCall, Project
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

AS2 = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS2}#Public"


async def coop_follows_bob(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Store bob (by letting him sign a harmless request) and an accepted coop → bob follow."""
    await deliver_and_process(
        app,
        client,
        {"id": f"{BOB}#hello", "type": "Like", "actor": BOB, "object": f"{REMOTE}/x"},
        "/inbox",
    )
    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
        bob = (await session.execute(select(Actor).where(Actor.uri == BOB))).scalar_one()
        session.add(
            Follow(
                uri=f"{COOP}#follow",
                follower_id=coop.id,
                followed_id=bob.id,
                state=FollowState.accepted,
            )
        )
        await session.commit()


def project_note(number: int = 1, **changes: Any) -> dict[str, Any]:
    note = {
        "id": f"{REMOTE}/projects/{number}",
        "type": "Note",
        "objectType": "Project",
        "attributedTo": BOB,
        "url": f"{REMOTE}/projects/{number}",
        "published": "2026-11-01T10:00:00Z",
        "updated": "2026-11-01T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{BOB}/followers"],
        "name": "Libre Maps",
        "content": "<p><strong>Libre Maps</strong></p><p>Maps for all.</p>",
        "status": "active",
        "license": "MIT",
        "codeRepository": "https://code.example/maps",
        "tag": [{"type": "Hashtag", "name": "#Maps", "href": f"{REMOTE}/tags/maps"}],
    }
    return note | changes


def call_note(number: int = 1, **changes: Any) -> dict[str, Any]:
    money = {"type": "MonetaryAmount", "currency": "EUR"}
    note = {
        "id": f"{REMOTE}/funding-calls/{number}",
        "type": "Note",
        "objectType": "FundingCall",
        "attributedTo": BOB,
        "published": "2026-11-01T10:00:00Z",
        "to": [PUBLIC],
        "name": "Fund the maps",
        "content": "<p>Help us</p>",
        "status": "open",
        "goal": money | {"value": "50000.00"},
        "raised": money | {"value": "12500.00"},
        "raisedBySector": {"public": money | {"value": "12500.00"}},
        "endTime": "2027-03-01T23:59:59Z",
        "project": f"{REMOTE}/projects/1",
    }
    return note | changes


def create(note: dict[str, Any], kind: str = "Create", number: int = 1) -> dict[str, Any]:
    return {
        "@context": AS2,
        "id": f"{REMOTE}/activities/{kind.lower()}/{number}",
        "type": kind,
        "actor": BOB,
        "object": note,
        "to": [PUBLIC],
    }


async def stored(app: FastAPI, table: Any) -> list[Any]:
    async with app.state.communs.db.session() as session:
        return list((await session.execute(select(table))).scalars())


async def test_remote_project__stored_from_a_followed_actor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(project_note()), "/inbox")
    [project] = await stored(app, Project)
    assert (project.uri, project.name, project.license, project.status) == (
        f"{REMOTE}/projects/1",
        "Libre Maps",
        "MIT",
        "active",
    )
    assert project.is_local is False and project.tags == ["maps"]


async def test_remote_project__keeps_its_images_and_logo_as_urls(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a remote project whose Note carries an image with its alt text, and a link
    await coop_follows_bob(app, client)
    image = {"type": "Image", "mediaType": "image/png", "url": f"{REMOTE}/m/1.png", "name": "Map"}
    link = {"type": "Link", "href": f"{REMOTE}/about"}
    note = project_note(attachment=[link, image], icon=f"{REMOTE}/m/logo.png")

    # When it is pushed
    await deliver_and_process(app, client, create(note), "/inbox")

    # Then the image and the logo are kept as URLs, the link left out
    [project] = await stored(app, Project)
    assert project.attachment == [image | {"type": "Image"}]
    assert project.icon == {"type": "Image", "url": f"{REMOTE}/m/logo.png"}


async def test_remote_project__not_followed_is_ignored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await deliver_and_process(app, client, create(project_note()), "/inbox")
    assert await stored(app, Project) == []


async def test_remote_funding_call__money_kept_exactly(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(call_note()), "/inbox")
    [call] = await stored(app, FundingCall)
    assert (call.goal_minor, call.raised_minor, call.currency) == (5_000_000, 1_250_000, "EUR")
    assert call.raised_by_sector == {"public": 1_250_000}
    assert str(call.deadline) == "2027-03-01" and call.project_uri == f"{REMOTE}/projects/1"


async def test_remote_update__only_newer_versions_apply(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(project_note()), "/inbox")
    await deliver_and_process(
        app,
        client,
        create(project_note(name="Old", updated="2026-10-01T00:00:00Z"), "Update", 2),
        "/inbox",
    )
    await deliver_and_process(
        app,
        client,
        create(project_note(name="New", updated="2026-11-02T00:00:00Z"), "Update", 3),
        "/inbox",
    )
    [project] = await stored(app, Project)
    assert project.name == "New"


async def test_remote_delete__tombstones_the_object(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    await deliver_and_process(app, client, create(project_note()), "/inbox")
    tomb = {"id": f"{REMOTE}/projects/1", "type": "Tombstone"}
    await deliver_and_process(app, client, create(tomb, "Delete", 4), "/inbox")
    [project] = await stored(app, Project)
    assert project.deleted_at is not None


async def test_remote_html__sanitised(app: FastAPI, client: httpx.AsyncClient) -> None:
    await coop_follows_bob(app, client)
    html = '<p onclick="x()">Hi<script>alert(1)</script><img src=x><a href="javascript:y">z</a></p>'
    await deliver_and_process(app, client, create(project_note(content=html)), "/inbox")
    [project] = await stored(app, Project)
    assert "script" not in project.description_html and "onclick" not in project.description_html
    assert "<img" not in project.description_html and "javascript" not in project.description_html


@pytest.mark.parametrize(
    "note",
    [
        call_note(goal={"type": "MonetaryAmount", "value": 50000.0, "currency": "EUR"}),
        call_note(goal={"type": "MonetaryAmount", "value": "50000.00", "currency": "ZZZ"}),
        call_note(goal={"type": "MonetaryAmount", "value": "-5", "currency": "EUR"}),
        call_note(raised={"type": "MonetaryAmount", "value": "1.00", "currency": "USD"}),
        call_note(status="stolen"),
        call_note(endTime="soon"),
        {k: v for k, v in call_note().items() if k != "goal"},
        project_note(id="https://elsewhere.example/projects/1"),
        project_note(attributedTo="https://remote.example/users/alice"),
        project_note(name=""),
        project_note(status=None),
    ],
    ids=[
        "money-as-float",
        "unknown-currency",
        "negative",
        "mixed-currency",
        "bad-status",
        "bad-deadline",
        "missing-goal",
        "wrong-host",
        "claims-another-actor",
        "no-name",
        "no-status",
    ],
)
async def test_remote_payload__refused_and_never_stored(
    app: FastAPI, client: httpx.AsyncClient, note: dict[str, Any]
) -> None:
    await coop_follows_bob(app, client)
    body = create(note)
    if note["id"].startswith("https://elsewhere"):
        body["object"] = note  # the inbox itself refuses a Create of another host's object
        raw = encode(body)
        response = await client.post(
            "/inbox", content=raw, headers=signed_headers(raw, path="/inbox")
        )
        assert response.status_code == 403
    else:
        await deliver_and_process(app, client, body, "/inbox")
    assert await stored(app, Project) == [] and await stored(app, FundingCall) == []


async def test_plain_note__not_mistaken_for_a_project(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await coop_follows_bob(app, client)
    note = {k: v for k, v in project_note().items() if k != "objectType"}
    await deliver_and_process(app, client, create(note), "/inbox")
    assert await stored(app, Project) == []


async def test_remote_project__hashtags_are_validated_to_mastodons_pattern(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop follows bob
    await coop_follows_bob(app, client)
    names = ["#<script>alert(1)</script>", "#Café_2", "#123", "#a·b", "#bad tag", "#" + "x" * 101]
    tags = [{"type": "Hashtag", "name": name} for name in names]

    # When bob pushes a project with those hashtags
    await deliver_and_process(app, client, create(project_note(tag=tags)), "/inbox")

    # Then only the hashtags Mastodon would make are stored
    [project] = await stored(app, Project)
    assert project.tags == ["café_2", "a·b"]
