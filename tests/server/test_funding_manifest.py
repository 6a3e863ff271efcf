"""funding.json (FLOSS/fund v1): every project publishes a manifest that validates against the
official JSON Schema; importing one creates the project with its plans as draft calls, and
importing ours gives back the same project."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.main import create_app
from server.settings import Settings
from server.storage.models import FundingCall, Project
from tests.conftest import TEST_BASE_URL, create_actor
from tests.publications import AS2_ACCEPT, bearer, post_call, post_project, sent
from tests.realservers import DEADLINE, serve

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas" / "data" / "funding.schema.v1.0.0.json").read_text()
)
PROJECT_FIELDS = (
    "name", "summary", "description", "license", "repository_url", "website_url", "tags",
)  # fmt: skip


async def test_funding_json__validates_and_lists_open_calls_as_plans(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project with an open call, a cancelled one and a closed one
    _, token = await create_actor(
        app, "scop", name="La Scop", kind="cooperative", email="bonjour@scop.example"
    )
    project = await post_project(client, token, tags=["cloud", "open_data"])
    open_call = await post_call(
        client, token, project_id=project["id"], goal={"amount": "50000.50", "currency": "EUR"}
    )
    cancelled = await post_call(client, token, project_id=project["id"], title="Old")
    await client.patch(
        f"/api/v1/funding-calls/{cancelled['id']}",
        json={"status": "cancelled"},
        headers=bearer(token),
    )

    # When a crawler reads the project's funding.json
    response = await client.get(f"/projects/{project['id']}/funding.json")

    # Then it is a valid funding.json v1, open to every origin
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*" and response.headers["etag"]
    manifest = response.json()
    jsonschema.validate(manifest, SCHEMA)
    assert manifest["version"] == "v1.0.0"
    assert manifest["entity"] | {"description": ""} == {
        "type": "organisation",
        "role": "owner",
        "name": "La Scop",
        "email": "bonjour@scop.example",
        "description": "",
        "webpageUrl": {"url": "http://communs.test/@scop"},
    }
    (entry,) = manifest["projects"]
    assert entry["licenses"] == ["spdx:AGPL-3.0-or-later"]
    assert entry["tags"] == ["cloud", "open-data"]
    # And only the open call is a plan, its goal an exact number
    (plan,) = manifest["funding"]["plans"]
    assert (plan["guid"], plan["amount"], plan["currency"]) == (open_call["id"], 50000.5, "EUR")
    assert plan["channels"] == [manifest["funding"]["channels"][0]["guid"]]
    # And the well-known list names it
    listed = (await client.get("/.well-known/funding-manifest-urls")).text.splitlines()
    assert listed == [f"{TEST_BASE_URL}/projects/{project['id']}/funding.json"]


async def test_funding_json__unknown_and_deleted_projects(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "scop")
    project = await post_project(client, token)
    await client.delete(f"/api/v1/projects/{project['id']}", headers=bearer(token))
    assert (await client.get(f"/projects/{project['id']}/funding.json")).status_code == 410
    assert (await client.get("/projects/nope/funding.json")).status_code == 404
    assert (await client.get("/.well-known/funding-manifest-urls")).text == ""


async def test_import__our_manifest_gives_back_the_same_project(
    database_url: str,
) -> None:
    async with serve(database_url) as a, httpx.AsyncClient(timeout=DEADLINE) as http:
        # Given a project with a summary, a description, links, a licence choice and tags,
        # and an open call
        _, scop = await create_actor(a.app, "scop")
        _, other = await create_actor(a.app, "other")
        made = await http.post(
            f"{a.base_url}/api/v1/projects",
            json={
                "name": "Commons Cloud",
                "summary": "A cooperative cloud.",
                "description": "Runs on *free software*.\n\nFor public bodies.",
                "license": "MIT OR Apache-2.0",
                "repository_url": "https://code.example/cloud",
                "website_url": "https://cloud.example/",
                "tags": ["cloud", "open_data"],
            },
            headers=bearer(scop),
        )
        original = made.json()
        call = await http.post(
            f"{a.base_url}/api/v1/funding-calls",
            json={
                "title": "Two developers",
                "summary": "For a year.",
                "project_id": original["id"],
                "goal": {"amount": "50000.50", "currency": "EUR"},
                "deadline": "2099-01-01",
            },
            headers=bearer(scop),
        )
        assert call.status_code == 201, call.text

        # When another actor imports its funding.json, over real HTTP through the fetcher
        url = f"{a.base_url}/projects/{original['id']}/funding.json"
        response = await http.post(
            f"{a.base_url}/api/v1/projects/import", json={"url": url}, headers=bearer(other)
        )

        # Then the same project is made, and the call's plan is a draft with the same goal
        assert response.status_code == 201, response.text
        imported = response.json()
        assert {k: imported["project"][k] for k in PROJECT_FIELDS} == {
            k: original[k] for k in PROJECT_FIELDS
        }
        (draft,) = imported["draft_calls"]
        assert (draft["title"], draft["summary"], draft["goal"], draft["status"]) == (
            "Two developers",
            "For a year.",
            {"amount": "50000.50", "currency": "EUR"},
            "draft",
        )
        assert imported["skipped_plans"] == {}
        # And the manifest of the imported project reads like the first one
        again = (
            await http.get(f"{a.base_url}/projects/{imported['project']['id']}/funding.json")
        ).json()
        first = (await http.get(url)).json()
        assert again["projects"][0] | {"guid": ""} == first["projects"][0] | {"guid": ""}
        # And an empty plan list for now: the draft is not open yet
        assert again["funding"]["plans"] == []


@pytest.fixture
def manifests() -> dict[str, bytes]:
    """What the fake manifest host serves, by URL."""
    return {}


@pytest.fixture
async def importing_app(settings: Settings, manifests: dict[str, bytes]) -> AsyncIterator[FastAPI]:
    """The app, whose outgoing requests reach a fake host of funding.json files."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = manifests.get(str(request.url))
        if body is None:
            return httpx.Response(404)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    application = create_app(settings, transport=httpx.MockTransport(handle))
    async with application.router.lifespan_context(application):
        yield application


def manifest(**changes: Any) -> dict[str, Any]:
    """A valid funding.json of someone else, with two plans a call can be made of."""
    document: dict[str, Any] = {
        "version": "v1.0.0",
        "entity": {
            "type": "organisation",
            "role": "owner",
            "name": "Maps Org",
            "email": "maps@maps.example",
            "description": "We make maps.",
            "webpageUrl": {"url": "https://maps.example"},
        },
        "projects": [
            {
                "guid": "libre-maps",
                "name": "Libre Maps",
                "description": "Maps for all.\n\nBuilt with OpenStreetMap data.",
                "webpageUrl": {"url": "https://maps.example/libre"},
                "repositoryUrl": {"url": "https://code.example/maps"},
                "licenses": ["spdx:GPL-3.0-or-later"],
                "tags": ["maps", "open-data"],
            }
        ],
        "funding": {
            "channels": [{"guid": "bank", "type": "bank", "address": "IBAN FR76…"}],
            "plans": [
                {
                    "guid": "servers",
                    "status": "active",
                    "name": "Servers",
                    "description": "Two years of hosting.",
                    "amount": 12000.5,
                    "currency": "EUR",
                    "frequency": "one-time",
                    "channels": ["bank"],
                },
                {
                    "guid": "tips",
                    "status": "active",
                    "name": "Tips",
                    "amount": 0,
                    "currency": "EUR",
                    "frequency": "monthly",
                    "channels": ["bank"],
                },
                {
                    "guid": "old",
                    "status": "inactive",
                    "name": "Old plan",
                    "amount": 500,
                    "currency": "EUR",
                    "frequency": "yearly",
                    "channels": ["bank"],
                },
            ],
        },
    }
    document.update(changes)
    return document


URL = "https://maps.example/funding.json"


async def test_import__plans_become_drafts_that_publish_on_demand(
    importing_app: FastAPI, manifests: dict[str, bytes]
) -> None:
    # Given someone else's funding.json
    manifests[URL] = json.dumps(manifest()).encode()
    _, token = await create_actor(importing_app, "scop")
    transport = httpx.ASGITransport(app=importing_app)
    async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
        # When it is imported
        response = await client.post(
            "/api/v1/projects/import", json={"url": URL}, headers=bearer(token)
        )

        # Then the project is made from it, and only the active plan with a goal is a draft
        assert response.status_code == 201, response.text
        made = response.json()
        assert (made["project"]["name"], made["project"]["summary"]) == (
            "Libre Maps",
            "Maps for all.",
        )
        assert made["project"]["license"] == "GPL-3.0-or-later"
        assert made["project"]["tags"] == ["maps", "open_data"]
        assert made["project"]["website_url"] == "https://maps.example/libre"
        assert made["skipped_plans"] == {
            "tips": "any amount (0): a call needs a goal",
            "old": "inactive",
        }
        (draft,) = made["draft_calls"]
        assert (draft["goal"], draft["status"]) == (
            {"amount": "12000.50", "currency": "EUR"},
            "draft",
        )
        # And the draft is published nowhere: no Create, no AS2, no list, no pledge
        assert [a["type"] for a in await sent(importing_app, draft["uri"])] == []
        assert (await client.get(draft["uri"], headers=AS2_ACCEPT)).status_code == 404
        listed = (await client.get("/api/v1/funding-calls")).json()["items"]
        assert listed == []
        directory = (await client.get("/api/v1/directory?type=funding_call")).json()["items"]
        assert directory == []
        pledge = await client.post(
            f"/api/v1/funding-calls/{draft['id']}/pledges",
            json={
                "amount": {"amount": "10", "currency": "EUR"},
                "sector": "public",
                "funder_name": "Région",
            },
            headers=bearer(token),
        )
        assert pledge.status_code == 409

        # When its owner publishes it
        published = await client.post(
            f"/api/v1/funding-calls/{draft['id']}/publish", headers=bearer(token)
        )

        # Then it is open and followers get its Create; publishing twice is a conflict
        assert published.status_code == 200 and published.json()["status"] == "open"
        assert [a["type"] for a in await sent(importing_app, draft["uri"])] == ["Create"]
        assert (await client.get(draft["uri"], headers=AS2_ACCEPT)).status_code == 200
        again = await client.post(
            f"/api/v1/funding-calls/{draft['id']}/publish", headers=bearer(token)
        )
        assert again.status_code == 409


@pytest.mark.parametrize(
    ("served", "body", "reason"),
    [
        (None, {"url": URL}, "cannot fetch"),
        (b"<html>not json</html>", {"url": URL}, "not valid JSON"),
        (json.dumps({"version": "v1.0.0"}).encode(), {"url": URL}, "'entity' is a required"),
        (json.dumps(manifest(version="v2.0.0")).encode(), {"url": URL}, "not 1.x"),
        (json.dumps(manifest(projects=[])).encode(), {"url": URL}, "lists no project"),
        (
            json.dumps(manifest()).encode(),
            {"url": URL, "guid": "other"},
            "lists no project",
        ),
        (json.dumps(manifest(projects=[{"guid": "x"}])).encode(), {"url": URL}, "required"),
        (None, {"url": "ftp://maps.example/funding.json"}, "url"),
    ],
)
async def test_import__a_bad_manifest_is_a_clear_422_and_creates_nothing(
    importing_app: FastAPI,
    manifests: dict[str, bytes],
    served: bytes | None,
    body: dict[str, Any],
    reason: str,
) -> None:
    if served is not None:
        manifests[URL] = served
    _, token = await create_actor(importing_app, "scop")
    transport = httpx.ASGITransport(app=importing_app)
    async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
        response = await client.post("/api/v1/projects/import", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert reason in response.text
    async with importing_app.state.communs.db.session() as session:
        assert (await session.execute(select(Project))).first() is None
        assert (await session.execute(select(FundingCall))).first() is None


async def test_import__private_addresses_are_refused_by_the_guard(database_url: str) -> None:
    # Given an instance that may not reach private networks (as in production)
    settings = Settings(base_url=TEST_BASE_URL, database_url=database_url, run_workers=False)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        _, token = await create_actor(application, "scop")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
            # When asked to import from a loopback address
            response = await client.post(
                "/api/v1/projects/import",
                json={"url": "http://127.0.0.1:9/funding.json"},
                headers=bearer(token),
            )
    # Then the fetch never happens and the answer says why
    assert response.status_code == 422
    assert "cannot fetch" in response.text
