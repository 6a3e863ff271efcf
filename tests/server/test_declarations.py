"""Declarations on one instance: who uses a project and who serves it, as Notes in the actor's
language, on the project's page, in the directory and in the buyers' exports; the owner hides
spam."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.publications import AS2_ACCEPT, bearer, post_project, sent


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def declare(
    client: httpx.AsyncClient, token: str, project: str, kind: str = "uses", **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/declarations",
        json={"project": project, "kind": kind, **fields},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def openmap(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    """OpenMap Réparation, a project of a cooperative of Auvergne-Rhône-Alpes."""
    _, token = await create_actor(app, "scop", name="La Scop", region="84")
    return await post_project(client, token, name="OpenMap Réparation")


async def test_declare_use__a_note_in_the_actors_language(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    # Given a French-speaking city and an English-speaking company
    _, lyon = await create_actor(
        app, "lyon", name="La Ville de Lyon", kind="public_body", language="fr"
    )
    _, acme = await create_actor(app, "acme", name="Acme", kind="company")

    # When each declares that it uses the project
    used = await declare(client, lyon, openmap["id"])
    await declare(client, acme, openmap["uri"])

    # Then followers receive a Create of a Note that Mastodon shows as a sentence
    (create,) = [a for a in await sent(app, used["uri"]) if a["type"] == "Create"]
    note = create["object"]
    assert text_of(note["content"]).startswith("La Ville de Lyon utilise OpenMap Réparation.")
    assert note["contentMap"].keys() == {"fr"}
    assert (note["objectType"], note["project"], note["actorKind"]) == (
        "Usage",
        openmap["uri"],
        "public_body",
    )
    assert "serviceKind" not in note and "summary" not in note
    english = [a for a in await sent(app) if a["type"] == "Create" and "Acme" in str(a)]
    assert "Acme uses OpenMap Réparation." in text_of(english[0]["object"]["content"])
    # And the declaration's URL serves the same Note to peers
    served = await client.get(used["uri"], headers=AS2_ACCEPT)
    assert served.status_code == 200 and served.json()["content"] == note["content"]
    assert served.json()["@context"][1]["serviceKind"] == "communs:serviceKind"


async def test_declare_services__kinds_regions_and_text(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    # Given a provider
    _, token = await create_actor(app, "dev", name="Dev Coop")

    # When it declares services in two regions, given by name and by code
    made = await declare(
        client,
        token,
        openmap["id"],
        "serves",
        services=["hosting", "support", "hosting"],
        regions=["Auvergne-Rhône-Alpes", "be"],
        text="Hosting in Lyon.",
    )

    # Then they are stored as codes (services in their usual order), and the Note carries
    # them as data and as text
    assert (made["services"], made["regions"]) == (["support", "hosting"], ["84", "BE"])
    assert made["region_names"] == ["Auvergne-Rhône-Alpes", "Belgium"]
    note = (await client.get(made["uri"], headers=AS2_ACCEPT)).json()
    assert note["objectType"] == "ServiceOffer"
    assert (note["serviceKind"], note["areaServed"]) == (["support", "hosting"], ["84", "BE"])
    assert note["description"] == "Hosting in Lyon."
    shown = text_of(note["content"])
    assert "Dev Coop provides services for OpenMap Réparation: support, hosting." in shown
    assert "Regions: Auvergne-Rhône-Alpes, Belgium." in shown


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"kind": "serves"}, 422, "at least one service"),
        ({"kind": "uses", "regions": ["84"]}, 422, "belong to service declarations"),
        ({"kind": "serves", "services": ["baking"]}, 422, "services"),
        ({"kind": "serves", "services": ["hosting"], "regions": ["Atlantis"]}, 422, "region"),
        ({"kind": "uses", "project": "01nosuchproject"}, 422, "no project"),
        ({"kind": "uses", "project": "http://communs.test/projects/nope"}, 422, "no project"),
        ({"kind": "uses", "text": "x" * 501}, 422, "text"),
    ],
)
async def test_declare__bad_input_is_refused_and_publishes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    openmap: dict[str, Any],
    body: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    _, token = await create_actor(app, "dev")
    before = len(await sent(app))
    response = await client.post(
        "/api/v1/declarations", json={"project": openmap["id"], **body}, headers=bearer(token)
    )
    assert response.status_code == status and reason in response.text
    assert len(await sent(app)) == before


async def test_declare__twice_is_a_conflict_but_after_withdrawal_it_is_new(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    _, token = await create_actor(app, "dev")
    first = await declare(client, token, openmap["id"])
    again = await client.post(
        "/api/v1/declarations",
        json={"project": openmap["id"], "kind": "uses"},
        headers=bearer(token),
    )
    assert again.status_code == 409

    # When it withdraws the declaration, its id answers 410 and a Delete went out
    assert (
        await client.delete(f"/api/v1/declarations/{first['id']}", headers=bearer(token))
    ).status_code == 204
    assert (await client.get(first["uri"], headers=AS2_ACCEPT)).status_code == 410
    assert [a["type"] for a in await sent(app, first["uri"])] == ["Create", "Delete"]
    # And declaring again makes a new declaration
    assert (await declare(client, token, openmap["id"]))["id"] != first["id"]


async def test_update_declaration__publishes_an_update_only_its_author_may(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    _, token = await create_actor(app, "dev")
    _, other = await create_actor(app, "other")
    made = await declare(client, token, openmap["id"], "serves", services=["training"])
    path = f"/api/v1/declarations/{made['id']}"
    assert (await client.patch(path, json={"text": "x"}, headers=bearer(other))).status_code == 403
    changed = await client.patch(
        path, json={"services": ["consulting"], "regions": ["FR"]}, headers=bearer(token)
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["services"], changed.json()["regions"]) == (["consulting"], ["FR"])
    update = (await sent(app, made["uri"]))[-1]
    assert update["type"] == "Update" and update["object"]["serviceKind"] == ["consulting"]
    assert update["object"]["updated"] > update["object"]["published"]


async def test_project_page__who_uses_it_and_who_serves_it_in_the_owners_region(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    # Given three users (two public bodies) and providers in several regions
    for name, kind in (("lyon", "public_body"), ("grenoble", "public_body"), ("acme", "company")):
        _, token = await create_actor(app, name, kind=kind)
        await declare(client, token, openmap["id"])
    for name, regions in (("ara", ["84"]), ("france", ["FR"]), ("breizh", ["53"])):
        _, token = await create_actor(app, name, name=name.title())
        await declare(client, token, openmap["id"], "serves", services=["hosting"], regions=regions)

    # When a browser opens the project's page (its owner is in Auvergne-Rhône-Alpes)
    page = (await client.get(f"/projects/{openmap['id']}")).text

    # Then it says how many use it and serve it there (France's providers serve every region)
    assert (
        "Used by 3 organisations, 2 of them public bodies · 2 service providers in "
        "Auvergne-Rhône-Alpes" in page
    )
    assert "Ara" in page and "France" in page and "Breizh" not in page
    # And another region can be asked for
    brittany = (await client.get(f"/projects/{openmap['id']}?region=Bretagne")).text
    assert "2 service providers in Bretagne" in brittany and "Breizh" in brittany
    assert f"/api/v1/providers?project={openmap['id']}&amp;region=84&amp;format=csv" in page


async def test_hide__the_owner_hides_spam_from_counts_lists_and_exports(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project, a real user and a spammer
    _, owner = await create_actor(app, "scop")
    project = await post_project(client, owner, name="OpenMap")
    _, lyon = await create_actor(app, "lyon", kind="public_body")
    _, spam = await create_actor(app, "spam", name="Cheap Pills")
    await declare(client, lyon, project["id"])
    junk = await declare(client, spam, project["id"], "serves", services=["support"])

    # When someone else tries to hide it, Then it is refused
    hide = f"/api/v1/declarations/{junk['id']}/hide"
    assert (await client.post(hide, headers=bearer(lyon))).status_code == 403

    # When the owner hides it
    hidden = await client.post(hide, headers=bearer(owner))
    assert hidden.status_code == 200 and hidden.json()["is_hidden"] is True

    # Then nobody else sees it any more
    page = (await client.get(f"/projects/{project['id']}")).text
    assert "Cheap Pills" not in page and "0 service providers" in page
    public = (await client.get(f"/api/v1/declarations?project={project['id']}")).json()
    assert [d["actor_name"] for d in public["items"]] == ["Lyon"]
    providers = (await client.get(f"/api/v1/providers?project={project['id']}")).json()
    assert providers["items"] == []
    # But the owner still sees every declaration, the hidden one marked
    mine = await client.get(f"/api/v1/projects/{project['id']}/declarations", headers=bearer(owner))
    assert {(d["actor_name"], d["is_hidden"]) for d in mine.json()["items"]} == {
        ("Lyon", False),
        ("Cheap Pills", True),
    }
    others = await client.get(
        f"/api/v1/projects/{project['id']}/declarations", headers=bearer(lyon)
    )
    assert others.status_code == 403
    # And showing it again counts it again
    unhide = f"/api/v1/declarations/{junk['id']}/unhide"
    assert (await client.post(unhide, headers=bearer(owner))).json()["is_hidden"] is False
    assert (
        len((await client.get(f"/api/v1/providers?project={project['id']}")).json()["items"]) == 1
    )


async def test_directory__public_bodies_that_use_x_and_providers_of_x_in_y_by_kind(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    # Given users and providers of OpenMap, and a provider of another project
    _, scop = await create_actor(app, "other")
    other = await post_project(client, scop, name="Other")
    for name, kind in (("lyon", "public_body"), ("acme", "company")):
        _, token = await create_actor(app, name, kind=kind)
        await declare(client, token, openmap["id"])
    for name, services, regions, project in (
        ("host84", ["hosting"], ["84"], openmap),
        ("train84", ["training"], ["84"], openmap),
        ("hostfr", ["hosting", "support"], ["FR"], openmap),
        ("host53", ["hosting"], ["53"], openmap),
        ("elsewhere", ["hosting"], ["84"], other),
    ):
        _, token = await create_actor(app, name)
        await declare(client, token, project["id"], "serves", services=services, regions=regions)

    async def handles(query: str) -> list[str]:
        response = await client.get(f"/api/v1/directory?{query}")
        assert response.status_code == 200, response.text
        return sorted(e["handle"].split("@")[1] for e in response.json()["items"])

    # Then "public bodies that use X"
    assert await handles(f"uses={openmap['id']}&kind=public_body") == ["lyon"]
    assert await handles(f"uses={openmap['uri']}") == ["acme", "lyon"]
    # And "providers of X in region Y, by kind of service"
    assert await handles(f"serves={openmap['id']}&area=84&service=hosting") == ["host84", "hostfr"]
    assert await handles(f"serves={openmap['id']}&area=84") == ["host84", "hostfr", "train84"]
    assert await handles("area=84&service=hosting") == ["elsewhere", "host84", "hostfr"]
    # And the pages answer the same questions
    page = (
        await client.get(f"/?serves={openmap['id']}&area=Auvergne-Rhône-Alpes&service=hosting")
    ).text
    assert "@host84@" in page and "@hostfr@" in page and "@train84@" not in page
    # And an unknown project is a 422
    assert (await client.get("/api/v1/directory?uses=nope")).status_code == 422


async def test_providers__csv_and_json_for_buyers(
    app: FastAPI, client: httpx.AsyncClient, openmap: dict[str, Any]
) -> None:
    # Given a provider with a legal identity, and one whose name would be a formula
    _, token = await create_actor(
        app, "dev", name="Dev Coop", siret="73282932000074", email="hello@dev.example"
    )
    await declare(
        client, token, openmap["id"], "serves", services=["hosting"], regions=["84", "BE"]
    )
    _, evil = await create_actor(app, "evil", name="=HYPERLINK(1)")
    await declare(client, evil, openmap["id"], "serves", services=["support"], regions=["53"])

    # When a buyer downloads the providers in Auvergne-Rhône-Alpes as JSON and as CSV
    query = f"project={openmap['id']}&region=84"
    as_json = (await client.get(f"/api/v1/providers?{query}")).json()["items"]
    response = await client.get(f"/api/v1/providers?{query}&format=csv")

    # Then both list the provider with its identity, services and regions
    assert [(p["name"], p["siret"], p["siren"], p["services"]) for p in as_json] == [
        ("Dev Coop", "73282932000074", "732829320", ["hosting"])
    ]
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["name"], r["siret"], r["regions"], r["email"]) for r in rows] == [
        ("Dev Coop", "73282932000074", "84 BE", "hello@dev.example")
    ]
    # And a cell that would run as a formula in a spreadsheet is written as text
    everyone = await client.get(f"/api/v1/providers?project={openmap['id']}&format=csv")
    names = [r["name"] for r in csv.DictReader(io.StringIO(everyone.text))]
    assert "'=HYPERLINK(1)" in names
    # And bad filters are 422
    assert (await client.get("/api/v1/providers?region=Atlantis")).status_code == 422
    assert (await client.get("/api/v1/providers?service=baking")).status_code == 422
