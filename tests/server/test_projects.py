"""Projects through the JSON API: validation, idempotency, ETags, filters, Notes to followers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server.storage.models import Activity, Project
from tests.conftest import create_actor
from tests.publications import (
    AS2_ACCEPT,
    PUBLIC,
    bearer,
    post_project,
    project_body,
    sent,
)


async def count(app: FastAPI, model: type) -> int:
    async with app.state.communs.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_post_project__201_with_id_uri_url_and_fields(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post("/api/v1/projects", json=project_body(), headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["uri"] == f"http://communs.test/projects/{body['id']}" == body["url"]
    assert body["uri"].rsplit("/", 1)[-1] == body["id"]
    assert body["license"] == "AGPL-3.0-or-later" and body["tags"] == ["cloud"]
    assert body["actor"] == "http://communs.test/actors/coop"
    assert body["description_html"] == "<p>Runs on <em>free software</em>.</p>"
    [create] = await sent(app, body["uri"])
    assert create["type"] == "Create" and create["object"]["id"] == body["uri"]


async def test_post_project__a_bare_url_in_the_description_is_a_link(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    description = "Code at https://forge.example/maps?x=1&y=2, docs at forge.example/docs."
    body = project_body(description=description)
    response = await client.post("/api/v1/projects", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    link = '<a href="https://forge.example/maps?x=1&amp;y=2">https://forge.example/maps?x=1&amp;y=2</a>'
    [create] = await sent(app, response.json()["uri"])
    assert link in create["object"]["content"]
    assert "docs at forge.example/docs." in create["object"]["content"]  # no scheme: no link


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"license": "Not-A-Licence"}, "license"),
        ({"name": "x" * 201}, "name"),
        ({"summary": "x" * 501}, "summary"),
        ({"description": "x" * 20_001}, "description"),
        ({"repository_url": "not a url"}, "repository_url"),
        ({"status": "dormant"}, "status"),
        ({"tags": ["no spaces"]}, "tags"),
        ({"tags": ["2024"]}, "tags"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_post_project__invalid_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, object], needle: str
) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post(
        "/api/v1/projects", json=project_body(**fields), headers=bearer(token)
    )
    assert response.status_code == 422
    assert needle in response.text
    assert await count(app, Project) == 0 and await count(app, Activity) == 0


async def test_post_project__needs_a_write_token_of_an_actor(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    assert (await client.post("/api/v1/projects", json=project_body())).status_code == 401
    response = await client.post(
        "/api/v1/projects", json=project_body(), headers=bearer(admin_token)
    )
    assert response.status_code == 403


async def test_post_project__idempotency_key_replays_the_first_response(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project created with an Idempotency-Key
    _, token = await create_actor(app, "coop")
    first = await client.post(
        "/api/v1/projects", json=project_body(), headers=bearer(token, "key-1")
    )
    # When the same request is retried with the same key
    retry = await client.post(
        "/api/v1/projects", json=project_body(), headers=bearer(token, "key-1")
    )
    # Then the first response comes back and nothing new is created or published
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry.headers["idempotent-replayed"] == "true"
    assert await count(app, Project) == 1 and await count(app, Activity) == 1
    # And another key creates another project
    other = await client.post(
        "/api/v1/projects", json=project_body(), headers=bearer(token, "key-2")
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_post_project__idempotency_key_reused_for_another_body_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    await client.post("/api/v1/projects", json=project_body(), headers=bearer(token, "k"))
    response = await client.post(
        "/api/v1/projects", json=project_body(name="Other"), headers=bearer(token, "k")
    )
    assert response.status_code == 422 and "Idempotency-Key" in response.text
    assert await count(app, Project) == 1


async def test_post_project__idempotency_keys_are_per_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    a = await client.post("/api/v1/projects", json=project_body(), headers=bearer(alice, "k"))
    b = await client.post("/api/v1/projects", json=project_body(), headers=bearer(bob, "k"))
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


async def test_read_project__etag_then_304(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given a project read once
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    path = f"/api/v1/projects/{project['id']}"
    first = await client.get(path)
    etag = first.headers["etag"]
    # When it is read again with If-None-Match
    again = await client.get(path, headers={"If-None-Match": etag})
    # Then 304 without a body, until it changes
    assert again.status_code == 304 and again.content == b""
    await client.patch(path, json={"summary": "Changed"}, headers=bearer(token))
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    listed = await client.get("/api/v1/projects")
    assert listed.headers["etag"]
    cached = await client.get("/api/v1/projects", headers={"If-None-Match": listed.headers["etag"]})
    assert cached.status_code == 304


async def test_list_projects__filters(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given projects of two actors, with different tags, licences and statuses
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    cloud = await post_project(client, alice, name="Commons Cloud", tags=["cloud"])
    maps = await post_project(
        client,
        alice,
        name="Maps",
        summary="Maps for all",
        license="MIT",
        tags=["geo"],
        status="maintained",
    )
    wiki = await post_project(
        client, bob, name="Wiki 100%", summary="A knowledge base", license="CC-BY-SA-4.0"
    )

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/v1/projects?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # Then each filter narrows the list, newest first
    assert await ids("") == [wiki["id"], maps["id"], cloud["id"]]
    assert await ids("actor=alice") == [maps["id"], cloud["id"]]
    assert await ids("actor=bob@communs.test") == [wiki["id"]]
    assert await ids("actor=alice@elsewhere.example") == []
    assert await ids("tag=GEO") == [maps["id"]]
    assert await ids("license=mit") == [maps["id"]]
    assert await ids("status=maintained") == [maps["id"]]
    assert await ids("q=knowledge") == [wiki["id"]]
    assert await ids("q=100%25") == [wiki["id"]]
    assert await ids("q=cloud&actor=alice") == [cloud["id"]]
    # And bad filters are 422
    assert (await client.get("/api/v1/projects?license=nope")).status_code == 422
    assert (await client.get("/api/v1/projects?status=dormant")).status_code == 422


async def test_list_projects__cursor_pagination(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    created = [(await post_project(client, token, name=f"P{n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = (await client.get(f"/api/v1/projects?limit=2{cursor}")).json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == list(reversed(created))


async def test_patch_project__publishes_update_with_a_later_updated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    path = f"/api/v1/projects/{project['id']}"
    # When it is changed twice in a row
    for name in ("Commons Cloud 2", "Commons Cloud 3"):
        response = await client.patch(path, json={"name": name}, headers=bearer(token))
        assert response.status_code == 200 and response.json()["name"] == name
    # Then followers get Create then two Updates with strictly increasing updated
    create, *updates = await sent(app, project["uri"])
    assert create["type"] == "Create" and "updated" not in create["object"]
    assert [u["type"] for u in updates] == ["Update", "Update"]
    stamps = [create["object"]["published"]] + [u["object"]["updated"] for u in updates]
    assert stamps == sorted(set(stamps))
    assert updates[-1]["object"]["name"] == "Commons Cloud 3"


async def test_patch_project__rules(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    project = await post_project(client, alice)
    path = f"/api/v1/projects/{project['id']}"
    assert (await client.patch(path, json={"name": "x"}, headers=bearer(bob))).status_code == 403
    assert (await client.patch(path, json={"name": None}, headers=bearer(alice))).status_code == 422
    bad = await client.patch(path, json={"license": "Nope-1.0"}, headers=bearer(alice))
    assert bad.status_code == 422 and "license" in bad.text
    assert (
        await client.patch("/api/v1/projects/nope", json={}, headers=bearer(alice))
    ).status_code == 404


async def test_delete_project__tombstone_410_and_delete_activity(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    # When it is deleted
    response = await client.delete(f"/api/v1/projects/{project['id']}", headers=bearer(token))
    assert response.status_code == 204
    # Then the API and the object URL answer 410, the latter with a Tombstone
    assert (await client.get(f"/api/v1/projects/{project['id']}")).status_code == 410
    gone = await client.get(f"/projects/{project['id']}", headers=AS2_ACCEPT)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == project["uri"]
    # And followers get Delete{Tombstone} addressed like the Note
    delete = (await sent(app, project["uri"]))[-1]
    assert delete["type"] == "Delete" and delete["object"]["type"] == "Tombstone"
    assert delete["to"] == [PUBLIC] and delete["cc"] == [
        "http://communs.test/actors/coop/followers"
    ]
    # And it leaves the list
    assert (await client.get("/api/v1/projects")).json()["items"] == []


async def test_project_note__follows_mastodon_rules(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token, tags=["cloud", "fediverse"])
    response = await client.get(f"/projects/{project['id']}", headers=AS2_ACCEPT)
    assert response.headers["content-type"].startswith("application/activity+json")
    note = response.json()
    assert note["type"] == "Note" and "summary" not in note
    assert note["id"] == project["uri"] and "#" not in note["id"]
    assert note["id"].startswith("http://communs.test/")
    assert note["to"] == [PUBLIC] and note["cc"] == ["http://communs.test/actors/coop/followers"]
    assert note["objectType"] == "Project" and note["license"] == "AGPL-3.0-or-later"
    assert note["codeRepository"] == "https://code.example/cloud"
    assert {t["name"] for t in note["tag"] if t["type"] == "Hashtag"} == {"#cloud", "#fediverse"}
    assert 'class="mention hashtag" rel="tag">#<span>cloud</span></a>' in note["content"]
    assert "Commons Cloud" in note["content"] and "AGPL-3.0-or-later" in note["content"]
    assert note["url"] == project["url"]
    cached = await client.get(
        f"/projects/{project['id']}",
        headers={**AS2_ACCEPT, "If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304


async def test_featured__lists_pinned_projects(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given one pinned and one ordinary project
    _, token = await create_actor(app, "coop")
    pinned = await post_project(client, token, name="Pinned", is_pinned=True)
    await post_project(client, token, name="Plain")
    # When the featured collection is read
    page = (await client.get("/actors/coop/featured?page=true", headers=AS2_ACCEPT)).json()
    # Then only the pinned Note's id is listed, until it is deleted
    assert page["orderedItems"] == [pinned["uri"]]
    await client.delete(f"/api/v1/projects/{pinned['id']}", headers=bearer(token))
    page = (await client.get("/actors/coop/featured?page=true", headers=AS2_ACCEPT)).json()
    assert page.get("orderedItems", []) == []


async def test_outbox__lists_the_published_activities(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    await client.patch(
        f"/api/v1/projects/{project['id']}", json={"name": "N"}, headers=bearer(token)
    )
    page = (await client.get("/actors/coop/outbox?page=true", headers=AS2_ACCEPT)).json()
    assert [a["type"] for a in page["orderedItems"]] == ["Update", "Create"]


async def test_post_project__concurrent_retries_with_one_key_create_one_project(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given three identical requests with one key, sent at once (a client retrying too soon)
    _, token = await create_actor(app, "coop")
    send = [
        client.post("/api/v1/projects", json=project_body(), headers=bearer(token, "race"))
        for _ in range(3)
    ]
    # When they all complete
    responses = await asyncio.gather(*send)
    # Then they all carry the same 201 answer and a single project was created and published
    assert {(r.status_code, r.content) for r in responses} == {(201, responses[0].content)}
    assert await count(app, Project) == 1 and await count(app, Activity) == 1


async def test_post_project__idempotency_key_expires_and_is_checked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from datetime import timedelta

    from server.clock import utcnow
    from server.storage.models import IDEMPOTENCY_KEY_LIFETIME as KEY_LIFETIME
    from server.storage.models import IdempotencyRecord

    # Given a key used more than its lifetime ago
    _, token = await create_actor(app, "coop")
    first = await client.post("/api/v1/projects", json=project_body(), headers=bearer(token, "k"))
    async with app.state.communs.db.session() as session:
        await session.execute(
            update(IdempotencyRecord).values(
                created_at=utcnow() - KEY_LIFETIME - timedelta(minutes=1)
            )
        )
        await session.commit()
    # When it is used again, it is a new request
    again = await client.post("/api/v1/projects", json=project_body(), headers=bearer(token, "k"))
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    # And a malformed key is a 422
    long_key = await client.post(
        "/api/v1/projects", json=project_body(), headers=bearer(token, "x" * 201)
    )
    assert long_key.status_code == 422 and "Idempotency-Key" in long_key.text
    assert await count(app, Project) == 2
