"""The directory lists local and remote entries together; lookup fetches and stores."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.domain.tokens import issue_token
from server.main import create_app
from server.settings import Settings
from server.storage.models import Actor, Project
from tests.conftest import TEST_BASE_URL, create_actor
from tests.fakeremote import BOB, REMOTE, RemoteServer
from tests.publications import pledge_body, post_call
from tests.server.test_remote_objects import project_note

REMOTE_PROJECT = f"{REMOTE}/projects/1"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app, whose remote.example also serves bob's project Note."""
    remote = RemoteServer()
    note = {"@context": "https://www.w3.org/ns/activitystreams", **project_note()}
    remote.documents[REMOTE_PROJECT] = json.dumps(note).encode()
    application = create_app(settings, transport=httpx.MockTransport(remote.handle))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=TEST_BASE_URL
    ) as http:
        yield http


async def post_project(client: httpx.AsyncClient, token: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/projects", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def reader(app: FastAPI) -> dict[str, str]:
    async with app.state.communs.db.session() as session:
        token = await issue_token(session, actor_id=None, scopes=["read"])
    return {"Authorization": f"Bearer {token}"}


async def test_directory__lists_everything_newest_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop", name="La Coop")
    maps = await post_project(client, token, name="Libre Maps", license="MIT", tags=["maps"])
    body = (await client.get("/api/v1/directory")).json()
    assert [(e["type"], e["name"]) for e in body["items"]] == [
        ("project", "Libre Maps"),
        ("actor", "La Coop"),
    ]
    assert body["items"][0]["uri"] == maps["uri"] and body["items"][0]["origin"] == "communs.test"
    assert body["next_cursor"] is None


async def test_directory__filters(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop", name="La Coop")
    await post_project(client, token, name="Libre Maps", license="MIT", tags=["maps"])
    await post_project(
        client, token, name="Commons Cloud", license="AGPL-3.0-or-later", status="idea"
    )

    async def names(**params: str) -> list[str]:
        return [
            e["name"]
            for e in (await client.get("/api/v1/directory", params=params)).json()["items"]
        ]

    assert await names(type="actor") == ["La Coop"]
    assert await names(tag="maps") == ["Libre Maps"]
    assert await names(license="agpl-3.0-or-later") == ["Commons Cloud"]
    assert await names(status="idea") == ["Commons Cloud"]
    assert await names(q="cloud") == ["Commons Cloud"]
    assert await names(currency="EUR") == []
    assert (await client.get("/api/v1/directory", params={"type": "spaceship"})).status_code == 422
    assert (await client.get("/api/v1/directory", params={"cursor": "%%%"})).status_code == 422


async def test_directory__sector_finds_the_calls_that_sector_pledged_to(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given two calls: one the public sector pledged to, one only a company did
    _, token = await create_actor(app, "coop", name="La Coop")
    await post_project(client, token, name="Libre Maps")
    auth = {"Authorization": f"Bearer {token}"}
    calls = {}
    for title, sector in (("Servers", "public"), ("Docs", "private")):
        calls[title] = await post_call(client, token, title=title)
        await client.post(
            f"/api/v1/funding-calls/{calls[title]['id']}/pledges",
            json=pledge_body("10000000000000", sector=sector),  # past 32 bits in minor units
            headers=auth,
        )

    async def names(**params: str) -> list[str]:
        found = await client.get("/api/v1/directory", params=params)
        return [e["name"] for e in found.json()["items"]]

    # Then a sector lists only the calls it pledged to: projects and actors drop out
    assert await names(sector="public") == ["Servers"]
    assert await names(sector="private") == ["Docs"]
    assert await names(sector="civil_society") == []
    assert await names(sector="") == ["Docs", "Servers", "Libre Maps", "La Coop"]
    assert (await client.get("/api/v1/directory", params={"sector": "army"})).status_code == 422
    # And the home page offers the sectors as a menu, in the page's language
    page = await client.get("/?sector=public&lang=fr", headers={"Accept": "text/html"})
    assert '<option value="public" selected>Secteur public</option>' in page.text
    assert "Servers" in page.text and "Docs" not in page.text


async def test_directory__cursor_walks_every_entry_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    for n in range(4):
        await create_actor(app, f"member{n}")
        await post_project(client, token, name=f"Project {n}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/directory", params=params)).json()
        seen += [e["uri"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 9


async def test_lookup__remote_project_is_fetched_and_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/api/v1/lookup", params={"q": REMOTE_PROJECT}, headers=await reader(app)
    )
    assert response.status_code == 200, response.text
    entry = response.json()
    assert (entry["type"], entry["name"], entry["origin"], entry["is_local"]) == (
        "project",
        "Libre Maps",
        "remote.example",
        False,
    )
    async with app.state.communs.db.session() as session:
        assert (await session.execute(select(Project.uri))).scalars().all() == [REMOTE_PROJECT]
        assert (
            await session.execute(select(Actor.uri).where(Actor.uri == BOB))
        ).scalar_one() == BOB
    listed = (await client.get("/api/v1/directory", params={"type": "project"})).json()["items"]
    assert [e["uri"] for e in listed] == [REMOTE_PROJECT]


async def test_lookup__remote_actor_by_uri(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/lookup", params={"q": BOB}, headers=await reader(app))
    assert response.status_code == 200 and response.json()["type"] == "actor"
    assert response.json()["origin"] == "remote.example"


async def test_lookup__unknown_is_404_and_needs_a_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth = await reader(app)
    assert (
        await client.get("/api/v1/lookup", params={"q": f"{REMOTE}/nothing"}, headers=auth)
    ).status_code == 404
    assert (
        await client.get("/api/v1/lookup", params={"q": "not a handle"}, headers=auth)
    ).status_code == 422
    assert (await client.get("/api/v1/lookup", params={"q": BOB})).status_code == 401


async def test_home_page__directory_with_filters_and_origin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop", name="La Coop")
    await post_project(client, token, name="Libre Maps", license="MIT", tags=["maps"])
    await client.get("/api/v1/lookup", params={"q": REMOTE_PROJECT}, headers=await reader(app))
    page = (await client.get("/")).text
    assert "La Coop" in page and "@coop@communs.test" in page
    assert page.count("Libre Maps") == 2  # ours and remote.example's
    assert "remote.example" in page and "this instance" in page
    filtered = (await client.get("/", params={"type": "actor"})).text
    assert "La Coop" in filtered and "Libre Maps" not in filtered
