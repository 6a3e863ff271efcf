"""Text search (``q``) of the directory and of the project and call lists: every word of the
query starts a word of the name, summary or description, ignoring case and accents across
Unicode, on both databases; the indexes follow every write (migration 0013)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from server.storage.models import Project
from tests.conftest import create_actor
from tests.publications import bearer, call_body, project_body


async def found(client: httpx.AsyncClient, q: str, path: str = "/api/v1/directory") -> list[str]:
    """Return the names (or titles) that a search for ``q`` lists, newest first."""
    response = await client.get(path, params={"q": q})
    assert response.status_code == 200, response.text
    return [item.get("name") or item.get("title") for item in response.json()["items"]]


async def publish(client: httpx.AsyncClient, token: str, path: str, body: dict[str, Any]) -> str:
    response = await client.post(path, json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("RÉPARATION", ["Réparation de vélos"]),
        ("reparation", ["Réparation de vélos"]),
        ("répar VÉLO", ["Réparation de vélos"]),
        ("MULLER", ["Müllers Werkstatt"]),
        ("españa", ["Software libre en España"]),
        ("ESPANA libre", ["Software libre en España"]),
        ("cafe", ["Café coopératif"]),
        ("coopératif café", ["Café coopératif"]),
        ("velos espana", []),
    ],
)
async def test_search__ignores_case_and_accents(
    app: FastAPI, client: httpx.AsyncClient, q: str, expected: list[str]
) -> None:
    # Given projects named with accents, umlauts and tildes
    _, token = await create_actor(app, "coop", name="La Coop")
    for name in ("Réparation de vélos", "Müllers Werkstatt", "Software libre en España"):
        await publish(client, token, "/api/v1/projects", project_body(name=name, summary=""))
    await publish(client, token, "/api/v1/projects", project_body(name="Café coopératif"))

    # When the directory is searched, Then every word must start a word, whatever its case
    assert await found(client, q) == expected


async def test_search__project_and_call_lists_and_actors(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with an accented name, a project and a call
    _, token = await create_actor(app, "ecole", name="École numérique", summary="Élèves")
    project = await publish(client, token, "/api/v1/projects", project_body(name="Tableau"))
    await publish(
        client,
        token,
        "/api/v1/funding-calls",
        call_body(title="Financer l'Économie sociale", project_id=project),
    )

    # Then each list finds its own kind, by any of its texts
    assert await found(client, "ECOLE") == ["École numérique"]
    assert await found(client, "eleves") == ["École numérique"]
    assert await found(client, "economie", "/api/v1/funding-calls") == [
        "Financer l'Économie sociale"
    ]
    assert await found(client, "tableau", "/api/v1/projects") == ["Tableau"]
    assert await found(client, "free software", "/api/v1/projects") == ["Tableau"]
    assert await found(client, "tableau", "/api/v1/funding-calls") == []


async def test_search__follows_changes_and_deletions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project found by its name
    _, token = await create_actor(app, "coop")
    project = await publish(client, token, "/api/v1/projects", project_body(name="Atelier"))
    assert await found(client, "atelier") == ["Atelier"]

    # When it is renamed through the API, Then the new name is found and the old one is not
    renamed = await client.patch(
        f"/api/v1/projects/{project}", json={"name": "Fabrique"}, headers=bearer(token)
    )
    assert renamed.status_code == 200, renamed.text
    assert await found(client, "fabrique") == ["Fabrique"]
    assert await found(client, "atelier") == []

    # When its summary changes in the database by any other way, Then the index follows
    async with app.state.communs.db.session() as session:
        await session.execute(
            update(Project).where(Project.id == project).values(summary="Ébénisterie")
        )
        await session.commit()
    assert await found(client, "ebenisterie") == ["Fabrique"]

    # When it is deleted, Then it is found no more
    assert (
        await client.delete(f"/api/v1/projects/{project}", headers=bearer(token))
    ).status_code == 204
    assert await found(client, "fabrique") == []


@pytest.mark.parametrize(
    "q", ['"', "*", "a OR b", "NEAR(a b)", "x:*", "'; --", "()", "^", "a & !b", "_", "日本語"]
)
async def test_search__query_syntax_is_never_interpreted(
    app: FastAPI, client: httpx.AsyncClient, q: str
) -> None:
    # Given one project
    _, token = await create_actor(app, "coop")
    await publish(client, token, "/api/v1/projects", project_body(name="Commons Cloud"))

    # When a search holds what either database's query syntax would read as operators
    for path in ("/api/v1/directory", "/api/v1/projects", "/api/v1/funding-calls", "/"):
        response = await client.get(path, params={"q": q})

        # Then it is an ordinary search: answered, never an error
        assert response.status_code == 200, (path, q, response.text)
