"""One rule for forms and API: a member acts for its own actors only, within its role."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from server.domain.access import Role
from server.domain.tokens import issue_token
from tests.conftest import create_actor
from tests.webapp.people import csrf_in, make_account, sign_in

PROJECT = {"name": "Repair map", "license": "MIT", "tags": "maps"}


async def _member_token(app: FastAPI, account_id: int, actor_id: int) -> str:
    async with app.state.communs.db.session() as session:
        return await issue_token(
            session, actor_id=actor_id, scopes=["read", "write"], account_id=account_id
        )


@pytest.fixture
async def two_actors(app: FastAPI, client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """Actor A, where ada is an editor, and actor B (with a project and a call) she is not in."""
    a, _ = await create_actor(app, "alpha")
    b, b_token = await create_actor(app, "beta", manually_approves_followers=True)
    headers = {"Authorization": f"Bearer {b_token}"}
    project = (await client.post("/api/v1/projects", json={"name": "B's"}, headers=headers)).json()
    call = (
        await client.post(
            "/api/v1/funding-calls",
            json={
                "title": "B's call",
                "goal": {"amount": "100.00", "currency": "EUR"},
                "deadline": "2099-01-01",
            },
            headers=headers,
        )
    ).json()
    ada = await make_account(app, "ada@example.org", member_of=a, role=Role.editor)
    return a, b, project, call, ada


async def test_roles__editor_of_a_gets_403_on_every_form_of_b(
    app: FastAPI, client: httpx.AsyncClient, two_actors
) -> None:
    _, _, project, call, _ = two_actors
    await sign_in(client, "ada@example.org")
    csrf = csrf_in((await client.get("/app/@alpha")).text)
    pages = [
        "/app/@beta",
        "/app/@beta/projects/new",
        f"/app/@beta/projects/{project['id']}/edit",
        f"/app/@beta/calls/{call['id']}/edit",
        f"/app/@beta/calls/{call['id']}/pledges",
        "/app/@beta/follows",
        "/app/@beta/deliveries",
        "/app/@beta/tokens",
        "/app/@beta/members",
        "/app/@beta/profile",
    ]
    for page in pages:
        assert (await client.get(page)).status_code == 403, page
    posts = {
        "/app/@beta/projects/new": PROJECT,
        f"/app/@beta/projects/{project['id']}/edit": PROJECT,
        f"/app/@beta/projects/{project['id']}/delete": {},
        f"/app/@beta/calls/{call['id']}/delete": {},
        f"/app/@beta/calls/{call['id']}/pledges": {
            "funder_name": "X",
            "amount": "5",
            "currency": "EUR",
            "sector": "public",
        },
        "/app/@beta/follows": {"handle": "alpha@communs.test"},
        "/app/@beta/profile": {"name": "Taken"},
        "/app/@beta/members": {"email": "eve@example.org", "role": "owner"},
        "/app/@beta/tokens": {"name": "mine", "scope_read": "true"},
    }
    for action, fields in posts.items():
        response = await client.post(action, data={"csrf": csrf, **fields})
        assert response.status_code == 403, action
    # And a form of A, on an object of B, is refused as well
    response = await client.post(
        f"/app/@alpha/projects/{project['id']}/edit", data={"csrf": csrf, **PROJECT}
    )
    assert response.status_code == 403
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["name"] == "B's"


async def test_roles__editor_token_of_a_gets_403_on_everything_of_b(
    app: FastAPI, client: httpx.AsyncClient, two_actors
) -> None:
    a, _, project, call, ada = two_actors
    token = await _member_token(app, ada.id, a.id)
    headers = {"Authorization": f"Bearer {token}"}
    attempts = [
        client.patch(f"/api/v1/projects/{project['id']}", json={"name": "x"}, headers=headers),
        client.delete(f"/api/v1/projects/{project['id']}", headers=headers),
        client.patch(f"/api/v1/funding-calls/{call['id']}", json={"title": "x"}, headers=headers),
        client.delete(f"/api/v1/funding-calls/{call['id']}", headers=headers),
        client.post(
            f"/api/v1/funding-calls/{call['id']}/pledges",
            json={
                "amount": {"amount": "5", "currency": "EUR"},
                "sector": "public",
                "funder_name": "X",
            },
            headers=headers,
        ),
        client.patch("/api/v1/actors/beta", json={"name": "x"}, headers=headers),
        client.delete("/api/v1/actors/beta", headers=headers),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.request.url


async def test_roles__editor_may_publish_but_not_manage_the_actor(
    app: FastAPI, client: httpx.AsyncClient, two_actors
) -> None:
    a, _, _, _, ada = two_actors
    token = await _member_token(app, ada.id, a.id)
    headers = {"Authorization": f"Bearer {token}"}
    published = await client.post("/api/v1/projects", json=PROJECT | {"tags": []}, headers=headers)
    assert published.status_code == 201
    assert (
        await client.patch("/api/v1/actors/alpha", json={"name": "x"}, headers=headers)
    ).status_code == 403
    assert (
        await client.post("/api/v1/follows", json={"target": "beta@communs.test"}, headers=headers)
    ).status_code == 403
    await sign_in(client, "ada@example.org")
    assert (await client.get("/app/@alpha/profile")).status_code == 403
    assert (await client.get("/app/@alpha/projects/new")).status_code == 200


async def test_roles__a_token_stops_working_when_its_member_leaves(
    app: FastAPI, client: httpx.AsyncClient, two_actors
) -> None:
    from server.accounts.members import remove_member

    a, _, _, _, ada = two_actors
    token = await _member_token(app, ada.id, a.id)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/follows", headers=headers)).status_code == 200
    async with app.state.communs.db.session() as session:
        await remove_member(session, ada.id, a.id)
        await session.commit()
    assert (await client.get("/api/v1/follows", headers=headers)).status_code == 401
