"""HEAD works wherever GET does: the same status and headers, no body (uptime monitors, caches)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import create_actor

AS2 = {"Accept": "application/activity+json"}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/healthz", {}),
        ("/", {}),
        ("/@coop", {}),
        ("/actors/coop", AS2),
        ("/.well-known/webfinger?resource=acct:coop@communs.test", {}),
        ("/api/v1/directory", {}),
        ("/nodeinfo/2.1", {}),
    ],
)
async def test_head__answers_as_get_without_body(
    app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    # Given an actor
    await create_actor(app, "coop")

    # When a path is asked with GET, then with HEAD
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)

    # Then HEAD has the GET's status and headers, and no body
    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "vary"):
        assert head.headers.get(name) == got.headers.get(name), name


async def test_head__object_with_etag_and_unknown_path(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project
    _, token = await create_actor(app, "coop")
    created = await client.post(
        "/api/v1/projects", json={"name": "Maps"}, headers={"Authorization": f"Bearer {token}"}
    )
    path = f"/api/v1/projects/{created.json()['id']}"

    # When it is asked with HEAD, then with HEAD and its ETag
    head = await client.head(path)
    again = await client.head(path, headers={"If-None-Match": head.headers["etag"]})

    # Then its ETag is given, a matching one answers 304, and an unknown path is a 404
    assert head.status_code == 200 and head.content == b""
    assert again.status_code == 304
    assert (await client.head("/api/v1/projects/nope")).status_code == 404
