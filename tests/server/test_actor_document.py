"""The actor document satisfies the checklist "The actor has" (FEDERATION.md, "Actors")."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import FastAPI

from tests.conftest import TEST_BASE_URL, create_actor

AS2 = "https://www.w3.org/ns/activitystreams"
ACTOR = f"{TEST_BASE_URL}/actors/coop"
ACCEPTS = [
    "application/activity+json",
    "application/ld+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
]


async def fetch_actor(client: httpx.AsyncClient, path: str = "/actors/coop") -> dict[str, Any]:
    response = await client.get(path, headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    return dict(response.json())


@pytest.mark.parametrize("accept", ACCEPTS)
async def test_actor__served_as_as2(app: FastAPI, client: httpx.AsyncClient, accept: str) -> None:
    await create_actor(app, "coop")
    response = await client.get("/actors/coop", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    assert "Accept" in response.headers["vary"]
    assert len(response.content) <= 1024 * 1024


async def test_actor__html_profile_for_browsers(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop", name="La Coop")
    response = await client.get("/actors/coop", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    assert (
        f'<link rel="alternate" type="application/activity+json" href="{ACTOR}">' in response.text
    )
    assert (
        response.headers["link"] == f'<{ACTOR}>; rel="alternate"; type="application/activity+json"'
    )
    assert "La Coop" in response.text


async def test_actor__checklist(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop", name="La Coop", summary="We build *commons*.")
    doc = await fetch_actor(client)
    assert AS2 in doc["@context"] and "https://w3id.org/security/v1" in doc["@context"]
    assert doc["id"] == ACTOR
    assert doc["type"] == "Organization"
    assert doc["preferredUsername"] == "coop"
    assert re.fullmatch(r"[a-z0-9_]+([.-]+[a-z0-9_]+)*", doc["preferredUsername"])
    for name in ("inbox", "outbox", "followers", "following", "featured"):
        assert doc[name] == f"{ACTOR}/{name}"
    assert doc["endpoints"]["sharedInbox"] == f"{TEST_BASE_URL}/inbox"
    assert doc["url"].startswith(TEST_BASE_URL + "/")
    key = doc["publicKey"]
    assert key["id"] == f"{ACTOR}#main-key" and key["owner"] == ACTOR
    public = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048
    assert doc["name"] == "La Coop"
    assert doc["summary"] == "<p>We build <em>commons</em>.</p>"
    assert doc["icon"]["type"] == "Image" and doc["icon"]["mediaType"] == "image/png"
    assert doc["icon"]["url"].startswith(TEST_BASE_URL)
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True and doc["indexable"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["published"])
    assert "privateKeyPem" not in str(doc)


async def test_actor__icon_is_served(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    doc = await fetch_actor(client)
    icon = await client.get(doc["icon"]["url"].removeprefix(TEST_BASE_URL))
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("kind", "as2_type"),
    [
        ("cooperative", "Organization"),
        ("company", "Organization"),
        ("public_body", "Organization"),
        ("association", "Organization"),
        ("collective", "Group"),
        ("person", "Person"),
    ],
)
async def test_actor__type_follows_kind(
    app: FastAPI, client: httpx.AsyncClient, kind: str, as2_type: str
) -> None:
    await create_actor(app, "coop", kind=kind)
    assert (await fetch_actor(client))["type"] == as2_type


async def test_actor__profile_fields_as_property_values(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(
        app,
        "coop",
        legal_form="SCOP",
        siren="732829320",
        region="Bretagne",
        website="https://coop.example/",
    )
    fields = (await fetch_actor(client))["attachment"]
    assert [f["type"] for f in fields] == ["PropertyValue"] * 4
    assert {f["name"]: f["value"] for f in fields[:3]} == {
        "Legal form": "SCOP",
        "SIREN": "732829320",
        "Region": "Bretagne",
    }
    assert fields[3]["name"] == "Website"
    assert 'href="https://coop.example/"' in fields[3]["value"] and 'rel="' in fields[3]["value"]
    assert all(len(f["value"]) <= 2047 for f in fields)


async def test_actor__attribution_domains_credit_our_pages_and_the_website(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with a website of its own
    await create_actor(app, "coop", website="https://Coop.example:8443/about")

    # Then Mastodon may credit it for link previews of our pages and of that website
    document = await fetch_actor(client)
    assert document["attributionDomains"] == ["communs.test", "coop.example"]
    assert document["@context"][-1]["attributionDomains"] == {
        "@id": "toot:attributionDomains",
        "@type": "@id",
    }


async def test_actor__a_long_website_is_linked_in_full_and_shown_short(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a website whose URL, written out twice in the link, would pass 2 047 characters
    website = "https://coop.example/" + "a" * 1800
    await create_actor(app, "coop", website=website)

    # Then the actor document is still served, linking the whole URL under a short text
    (field,) = (await fetch_actor(client))["attachment"]
    assert f'href="{website}"' in field["value"]
    assert field["value"].endswith(">coop.example/" + "a" * 16 + "…</a>")  # 30 characters


async def test_actor__a_website_too_long_once_escaped_is_left_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop", region="Bretagne", website="https://coop.example/?" + "&" * 900)
    assert [f["name"] for f in (await fetch_actor(client))["attachment"]] == ["Region"]


@pytest.mark.parametrize("name", ["followers", "following", "outbox", "featured"])
async def test_actor__collections_are_ordered_with_first(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    await create_actor(app, "coop")
    response = await client.get(
        f"/actors/coop/{name}", headers={"Accept": "application/activity+json"}
    )
    assert response.status_code == 200
    doc = response.json()
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 0
    page = await client.get(doc["first"].removeprefix(TEST_BASE_URL))
    assert page.json()["type"] == "OrderedCollectionPage"
    assert page.json()["orderedItems"] == [] and page.json()["partOf"] == doc["id"]


async def test_actor__unknown_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/actors/nobody", headers={"Accept": "application/activity+json"})
    assert response.status_code == 404
    assert response.json() == {"detail": "no local actor named 'nobody'"}


async def test_instance_actor__application_with_key(client: httpx.AsyncClient) -> None:
    doc = await fetch_actor(client, "/actor")
    assert doc["id"] == f"{TEST_BASE_URL}/actor"
    assert doc["type"] == "Application"
    assert doc["preferredUsername"] == "communs.test"
    assert doc["publicKey"]["id"] == f"{TEST_BASE_URL}/actor#main-key"
    assert doc["inbox"] == f"{TEST_BASE_URL}/inbox"
