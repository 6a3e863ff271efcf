"""JSON API skeleton: tokens, scopes, instance, actors; errors are JSON 4xx."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.domain.tokens import hash_token
from server.storage.models import Actor, ApiToken
from tests.conftest import create_actor


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def count_actors(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Actor))).scalar_one())


async def test_instance__describes_itself(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/instance")).json()
    assert body["domain"] == "communs.test" and body["software"] == "communs"
    assert body["actor"] == "http://communs.test/actor"


async def test_post_actor__admin_creates(client: httpx.AsyncClient, admin_token: str) -> None:
    response = await client.post(
        "/api/v1/actors",
        json={"username": "coop", "name": "La Coop", "kind": "cooperative", "siren": "732829320"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["handle"] == "coop@communs.test" and body["uri"] == "http://communs.test/actors/coop"
    )
    assert "private_key_pem" not in body and "PRIVATE" not in response.text


async def test_post_actor__requires_admin_scope(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    denied = await client.post(
        "/api/v1/actors", json={"username": "x", "name": "X"}, headers=bearer(token)
    )
    assert denied.status_code == 403 and "detail" in denied.json()
    missing = await client.post("/api/v1/actors", json={"username": "x", "name": "X"})
    assert missing.status_code == 401 and "detail" in missing.json()
    wrong = await client.post(
        "/api/v1/actors", json={"username": "x", "name": "X"}, headers=bearer("cm_nope")
    )
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"username": "Bad User", "name": "X"},
        {"username": "-dash", "name": "X"},
        {"username": "ok", "name": ""},
        {"username": "ok", "name": "x" * 101},
        {"username": "ok", "name": "X", "kind": "spaceship"},
        {"username": "ok", "name": "X", "siren": "12"},
        {"username": "ok", "name": "X", "website": "javascript:alert(1)"},
        {"username": "ok", "name": "X", "summary": "x" * 5001},
        {"username": "ok", "name": "X", "unknown": 1},
        {"username": "communs.test", "name": "X"},
    ],
)
async def test_post_actor__invalid_input_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str, body: dict[str, object]
) -> None:
    before = await count_actors(app)
    response = await client.post("/api/v1/actors", json=body, headers=bearer(admin_token))
    assert response.status_code == 422
    assert "detail" in response.json()
    assert await count_actors(app) == before


async def test_post_actor__taken_username_is_409(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    body = {"username": "coop", "name": "La Coop"}
    assert (
        await client.post("/api/v1/actors", json=body, headers=bearer(admin_token))
    ).status_code == 201
    again = await client.post("/api/v1/actors", json=body, headers=bearer(admin_token))
    assert again.status_code == 409 and "taken" in again.json()["detail"]


async def test_patch_actor__own_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.patch(
        "/api/v1/actors/coop",
        json={"name": "Nouvelle Coop", "region": "Bretagne"},
        headers=bearer(token),
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Nouvelle Coop"
    assert (response.json()["region"], response.json()["region_name"]) == ("53", "Bretagne")
    doc = (await client.get("/actors/coop", headers={"Accept": "application/activity+json"})).json()
    assert doc["name"] == "Nouvelle Coop"


@pytest.mark.parametrize(
    "field", ["name", "kind", "summary", "manually_approves_followers", "language"]
)
async def test_patch_actor__null_for_a_required_field_is_422_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, field: str
) -> None:
    _, token = await create_actor(app, "coop")
    before = (await client.get("/api/v1/actors/coop")).json()
    response = await client.patch(
        "/api/v1/actors/coop", json={field: None, "region": "Bretagne"}, headers=bearer(token)
    )
    assert response.status_code == 422 and field in response.json()["detail"]
    assert (await client.get("/api/v1/actors/coop")).json() == before


async def test_patch_actor__language_tags_its_notes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a French-speaking cooperative
    _, token = await create_actor(app, "coop")
    changed = await client.patch(
        "/api/v1/actors/coop", json={"language": "fr"}, headers=bearer(token)
    )
    assert changed.status_code == 200 and changed.json()["language"] == "fr"

    # When it publishes a project, Then the Note says its content is French
    created = await client.post(
        "/api/v1/projects", json={"name": "Cartes libres"}, headers=bearer(token)
    )
    note = (
        await client.get(created.json()["uri"], headers={"Accept": "application/activity+json"})
    ).json()
    assert note["contentMap"] == {"fr": note["content"]}
    # And a tag that is no language is a 422
    bad = await client.patch(
        "/api/v1/actors/coop", json={"language": "fr_FR!"}, headers=bearer(token)
    )
    assert bad.status_code == 422


async def test_patch_actor__other_actor_is_403(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    _, other = await create_actor(app, "other")
    response = await client.patch(
        "/api/v1/actors/coop", json={"name": "Hacked"}, headers=bearer(other)
    )
    assert response.status_code == 403
    assert (await client.get("/api/v1/actors/coop")).json()["name"] == "Coop"


async def test_patch_actor__admin_may(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    await create_actor(app, "coop")
    response = await client.patch(
        "/api/v1/actors/coop", json={"kind": "person"}, headers=bearer(admin_token)
    )
    assert response.status_code == 200 and response.json()["type"] == "Person"


async def test_patch_actor__read_scope_is_403(app: FastAPI, client: httpx.AsyncClient) -> None:
    from server.domain.tokens import issue_token

    actor, _ = await create_actor(app, "coop")
    async with app.state.communs.db.session() as session:
        reader = await issue_token(session, actor_id=actor.id, scopes=["read"])
    response = await client.patch("/api/v1/actors/coop", json={"name": "X"}, headers=bearer(reader))
    assert response.status_code == 403


async def test_tokens__stored_hashed(app: FastAPI) -> None:
    _, token = await create_actor(app, "coop")
    async with app.state.communs.db.session() as session:
        rows = (await session.execute(select(ApiToken.token_hash))).scalars().all()
    assert rows == [hash_token(token)] and token not in rows


async def test_errors__unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


async def test_docs__openapi_page(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/actors" in paths and "/api/v1/instance" in paths
