"""Security headers (issue 18): HTML pages get a strict Content-Security-Policy (no inline
script), nosniff, no framing and a Referrer-Policy; JSON and ActivityStreams get nosniff.

Before, no response carried any of them.
"""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import create_actor

AS2 = {"Accept": "application/activity+json"}


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no other origin
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_pages__carry_a_strict_policy_and_run_no_inline_script(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with a project and a call, so every page has something to show
    _, token = await create_actor(app, "coop")
    auth = {"Authorization": f"Bearer {token}"}
    project = (await client.post("/api/v1/projects", json={"name": "Maps"}, headers=auth)).json()
    call = await client.post(
        "/api/v1/funding-calls",
        json={
            "title": "Fund",
            "goal": {"amount": "10.00", "currency": "EUR"},
            "deadline": "2099-01-01",
        },
        headers=auth,
    )
    assert call.status_code == 201, call.text
    pages = ("/", "/@coop", project["url"], call.json()["url"], "/signin", "/nothing-here")
    for path in pages:
        response = await client.get(path)
        if response.headers["content-type"].startswith("text/html"):
            assert_page_headers(response)
            # no inline script and no event handler attribute: the policy would block them
            assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path
            assert not re.search(r"\son[a-z]+=", response.text), path


async def test_json_and_activitystreams__carry_nosniff(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    responses = [
        await client.get("/api/v1/instance"),
        await client.get("/api/v1/projects/nope"),  # an error
        await client.get("/actors/coop", headers=AS2),  # built by its route, then cached
        await client.get("/actors/coop", headers=AS2),  # from the front door's cache
        await client.post("/inbox", content=b"{}"),  # the front door's inbox
        await client.post("/api/v1/projects", content=b"x" * 2_000_000),  # refused unread
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
        assert "content-security-policy" not in response.headers


async def test_docs__run_no_inline_script_and_load_nothing_from_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/redoc"):
        page = await client.get(path)
        assert page.status_code == 200
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert "https:" not in policy and "http:" not in policy


_SECURITY = (
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)


async def test_front_door__a_kept_page_carries_the_headers_of_a_rendered_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a profile page rendered once for an anonymous visitor, and so kept
    await create_actor(app, "coop")
    browser = {"Accept": "text/html"}
    rendered = await client.get("/@coop", headers=browser)
    assert rendered.status_code == 200
    assert app.state.communs.documents.entry("page:/@coop?#") is not None

    # When the next visitor is answered from the front door's cache
    kept = await client.get("/@coop", headers=browser)
    assert kept.status_code == 200 and kept.content == rendered.content

    # Then both answers carry the same security headers
    assert_page_headers(kept)
    assert {name: kept.headers.get(name) for name in _SECURITY} == {
        name: rendered.headers.get(name) for name in _SECURITY
    }
