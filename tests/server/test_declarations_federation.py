"""Two real Communs instances exchange declarations over HTTP: the project's owner hears of
every declaration about its project, counts it, and sees it withdrawn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.storage.models import Actor, Declaration
from tests.conftest import create_actor
from tests.realservers import DEADLINE, Instance, eventually, serve

pytestmark = pytest.mark.slow


async def declarations_at(instance: Instance) -> list[tuple[str, str, bool]]:
    """(kind, declaring actor's URI, deleted) of the declarations an instance stored."""
    async with instance.app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Declaration.kind, Actor.uri, Declaration.deleted_at).join(
                Actor, Actor.id == Declaration.actor_id
            )
        )
        return sorted((kind, uri, deleted is not None) for kind, uri, deleted in rows.all())


async def test_declarations__reach_the_project_owner_on_another_instance(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given a project on A, owned by a cooperative of Auvergne-Rhône-Alpes
        _, scop_token = await create_actor(a.app, "scop", region="84")
        project = (
            await http.post(
                f"{a.base_url}/api/v1/projects",
                json={"name": "OpenMap Réparation", "license": "MIT"},
                headers={"Authorization": f"Bearer {scop_token}"},
            )
        ).json()
        # And, on B, a French city and a provider that follow nobody on A
        _, lyon_token = await create_actor(
            b.app, "lyon", name="La Ville de Lyon", kind="public_body", language="fr"
        )
        _, dev_token = await create_actor(b.app, "dev", name="Dev Coop", kind="cooperative")

        async def declare(token: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await http.post(
                f"{b.base_url}/api/v1/declarations",
                json={"project": project["uri"], **body},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text
            result: dict[str, Any] = response.json()
            return result

        # When the city declares that it uses A's project (by its URI), and the provider
        # that it hosts it in Auvergne-Rhône-Alpes
        used = await declare(lyon_token, {"kind": "uses"})
        served = await declare(
            dev_token, {"kind": "serves", "services": ["hosting"], "regions": ["84"]}
        )
        assert used["project_name"] == "OpenMap Réparation"  # B looked the project up

        # Then A stores both, signed by their authors, and learns the city is a public body
        lyon_uri, dev_uri = f"{b.base_url}/actors/lyon", f"{b.base_url}/actors/dev"
        expected = [("serves", dev_uri, False), ("uses", lyon_uri, False)]

        async def stored() -> bool:
            return await declarations_at(a) == expected

        await eventually(stored, what="A to store B's declarations")
        # And A's page and directory count them
        page = (await http.get(f"{a.base_url}/projects/{project['id']}")).text
        assert (
            "Used by 1 organisation, 1 of them a public body · 1 service provider in "
            "Auvergne-Rhône-Alpes" in page
        )
        bodies = (
            await http.get(
                f"{a.base_url}/api/v1/directory",
                params={"uses": project["id"], "kind": "public_body"},
            )
        ).json()["items"]
        assert [e["uri"] for e in bodies] == [lyon_uri]
        providers = (
            await http.get(
                f"{a.base_url}/api/v1/providers", params={"project": project["id"], "region": "84"}
            )
        ).json()["items"]
        assert [(p["actor"], p["services"]) for p in providers] == [(dev_uri, ["hosting"])]

        # When the provider widens its offer, Then A applies the Update
        changed = await http.patch(
            f"{b.base_url}/api/v1/declarations/{served['id']}",
            json={"services": ["hosting", "training"]},
            headers={"Authorization": f"Bearer {dev_token}"},
        )
        assert changed.status_code == 200, changed.text

        async def widened() -> bool:
            listed = (
                await http.get(f"{a.base_url}/api/v1/providers", params={"service": "training"})
            ).json()["items"]
            return [p["actor"] for p in listed] == [dev_uri]

        await eventually(widened, what="A to apply the provider's Update")

        # When the city withdraws its declaration, Then A leaves a tombstone and counts none
        withdrawn = await http.delete(
            f"{b.base_url}/api/v1/declarations/{used['id']}",
            headers={"Authorization": f"Bearer {lyon_token}"},
        )
        assert withdrawn.status_code == 204

        async def deleted() -> bool:
            return ("uses", lyon_uri, True) in await declarations_at(a)

        await eventually(deleted, what="A to apply the Delete")
        page = (await http.get(f"{a.base_url}/projects/{project['id']}")).text
        assert "Used by 0 organisations" in page
