"""People's pages are cached and tagged like AS2 documents: an ETag and 304s, the same bytes
for every visitor until something is written, by this process or another, and never a cached
answer for a request that may be someone's own view (a cookie, credentials)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from starlette.requests import Request

from server.http.pagecache import page_key
from server.storage.models import Actor
from tests.conftest import create_actor
from tests.publications import bearer, pledge_body, post_call, post_project

HTML = {"Accept": "text/html"}


async def test_page_cache__call_page_tagged_then_fresh_after_a_pledge(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a funding call's page, read once
    _, token = await create_actor(app, "coop", name="La Coop")
    call = await post_call(client, token, project_id=(await post_project(client, token))["id"])
    path = f"/funding-calls/{call['id']}"
    first = await client.get(path, headers=HTML)
    assert first.status_code == 200 and first.headers["etag"]
    assert "text/html" in first.headers["content-type"] and first.headers["vary"] == (
        "Accept, Accept-Language, Cookie"
    )

    # When it is read again, or with its tag
    again = await client.get(path, headers=HTML)
    unchanged = await client.get(path, headers=HTML | {"If-None-Match": first.headers["etag"]})

    # Then the same bytes come back, with their headers, or a bodiless 304
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["link"] == first.headers["link"]
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == first.headers["etag"]

    # When a pledge is recorded
    pledged = await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges",
        json=pledge_body("1234", funder_name="Fondation Exemple"),
        headers=bearer(token),
    )
    assert pledged.status_code == 201, pledged.text

    # Then the page shows it at once, under a new tag
    fresh = await client.get(path, headers=HTML | {"If-None-Match": first.headers["etag"]})
    assert fresh.status_code == 200 and "Fondation Exemple" in fresh.text
    assert fresh.headers["etag"] != first.headers["etag"]


async def test_page_cache__profile_and_home_follow_actor_changes(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    # Given the home page and a profile, read once
    _, token = await create_actor(app, "coop", name="La Coop")
    assert "La Coop" in (await client.get("/@coop", headers=HTML)).text
    assert "Nouvelle Coop" not in (await client.get("/", headers=HTML)).text

    # When the actor is renamed, and another one created, through the API
    renamed = await client.patch(
        "/api/v1/actors/coop", json={"name": "Coop Renommée"}, headers=bearer(token)
    )
    assert renamed.status_code == 200, renamed.text
    created = await client.post(
        "/api/v1/actors",
        json={"username": "nouvelle", "name": "Nouvelle Coop"},
        headers=bearer(admin_token),
    )
    assert created.status_code == 201, created.text

    # Then both pages show the changes at once
    assert "Coop Renommée" in (await client.get("/@coop", headers=HTML)).text
    assert "Nouvelle Coop" in (await client.get("/", headers=HTML)).text


async def test_page_cache__a_write_by_another_process_is_seen_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a profile kept in the cache
    await create_actor(app, "coop", name="La Coop")
    kept = await client.get("/@coop", headers=HTML)
    assert (await client.get("/@coop", headers=HTML)).content == kept.content

    # When the actor changes through another connection, as another process would change it
    async with app.state.communs.db.session() as session:
        await session.execute(
            update(Actor).where(Actor.username == "coop").values(name="Changed Elsewhere")
        )
        await session.commit()

    # Then the next visitor gets the page rendered again, not the kept one
    fresh = await client.get("/@coop", headers=HTML | {"If-None-Match": kept.headers["etag"]})
    assert fresh.status_code == 200 and "Changed Elsewhere" in fresh.text


@pytest.mark.parametrize(
    ("headers", "kept"),
    [
        ({"accept": "text/html"}, True),
        ({"accept": "text/html", "cookie": "session=x"}, False),
        ({"accept": "text/html", "authorization": "Bearer x"}, False),
        ({"accept": "application/json"}, False),
        ({}, False),
    ],
)
def test_page_key__only_browsers_without_cookies_or_credentials(
    headers: dict[str, str], kept: bool
) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/@coop",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    assert (page_key(Request(scope)) is not None) == kept
