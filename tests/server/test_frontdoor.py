"""The front door answers inbox POSTs and cached AS2 reads before FastAPI, with the same rules.

Cached documents must carry the same headers as the routes that built them, keep ETags and
304s, and must never bypass authorized fetch or leak a document that changed.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from server.main import create_app
from server.settings import Settings
from tests.conftest import TEST_BASE_URL, create_actor
from tests.publications import AS2_ACCEPT, bearer, post_project


async def test_front_door__cached_note_keeps_its_etag_and_304(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project whose Note was served once (and so cached)
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    path = project["uri"].removeprefix(TEST_BASE_URL)
    built = await client.get(path, headers=AS2_ACCEPT)
    assert app.state.communs.documents.get(f"note:{path}") == built.content

    # When it is read again from the cache, then with its ETag
    cached = await client.get(path, headers=AS2_ACCEPT)
    again = await client.get(path, headers=AS2_ACCEPT | {"If-None-Match": built.headers["etag"]})

    # Then the cached answer is the built one, byte for byte and header for header
    assert cached.content == built.content
    for header in ("content-type", "vary", "etag"):
        assert cached.headers[header] == built.headers[header]
    assert again.status_code == 304 and again.content == b""


async def test_front_door__html_reads_go_to_the_pages(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor whose AS2 document is cached
    await create_actor(app, "coop", name="La Coop")
    await client.get("/actors/coop", headers=AS2_ACCEPT)

    # When a browser asks for the same URL
    page = await client.get("/actors/coop", headers={"Accept": "text/html"})

    # Then it gets the profile page, not the cached AS2
    assert page.headers["content-type"].startswith("text/html")
    assert "La Coop" in page.text


async def test_front_door__changed_actor_is_not_served_stale(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor whose document is cached
    _, token = await create_actor(app, "coop", name="Old name")
    await client.get("/actors/coop", headers=AS2_ACCEPT)

    # When its profile changes through the API
    changed = await client.patch(
        "/api/v1/actors/coop", json={"name": "New name"}, headers=bearer(token)
    )
    assert changed.status_code == 200, changed.text

    # Then the next read shows the change
    document = (await client.get("/actors/coop", headers=AS2_ACCEPT)).json()
    assert document["name"] == "New name"


async def test_front_door__inbox_errors_keep_the_json_shape(client: httpx.AsyncClient) -> None:
    # When an inbox POST is refused by the front door itself (unknown actor, not JSON)
    missing = await client.post("/actors/nobody/inbox", content=b"{}")
    garbage = await client.post("/inbox", content=b"not json")

    # Then the answers have the same shape as every other error
    assert missing.status_code == 404 and "detail" in missing.json()
    assert garbage.status_code == 400 and "detail" in garbage.json()


async def test_front_door__other_methods_on_an_inbox_are_not_served(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/inbox")
    assert response.status_code in (404, 405)
    assert "detail" in response.json()


async def test_front_door__inbox_client_gone_mid_body_gets_no_answer(app: FastAPI) -> None:
    # Given an inbox POST whose client disconnects after the first part of its body
    messages = [
        {"type": "http.request", "body": b'{"type": "Cre', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/inbox",
        "raw_path": b"/inbox",
        "query_string": b"",
        "headers": [(b"host", b"communs.test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }

    # When the application handles it
    await app(scope, receive, send)

    # Then nothing is sent back (nobody is listening) and nothing fails
    assert sent == []


@pytest.mark.parametrize("path", ["/inbox", "/health", "/api/v1/directory"])
async def test_app__served_without_its_lifespan_answers_503_not_500(path: str) -> None:
    # Given the application served as ``uvicorn --lifespan off`` would: nothing started
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://communs.test"
    ) as client:
        # When a request comes, whichever door it takes
        response = await client.request("POST" if path == "/inbox" else "GET", path)

    # Then it gets a clear 503 in the JSON error shape, not a traceback
    assert response.status_code == 503
    assert "lifespan" in response.json()["detail"]
