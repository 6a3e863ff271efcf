"""Legal identity of actors: SIREN/SIRET checked and shown, legal form, public category,
region codes; the directory filters actors by kind and region."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.publications import AS2_ACCEPT, bearer


async def test_patch_actor__siret_public_category_region_email(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a public body
    _, token = await create_actor(app, "lyon", name="La Ville de Lyon", kind="public_body")

    # When it sets its legal identity
    response = await client.patch(
        "/api/v1/actors/lyon",
        json={
            "siret": "732 829 320 00074",
            "legal_form": "Commune",
            "public_category": "municipality",
            "region": "Auvergne-Rhône-Alpes",
            "email": "dsi@lyon.example",
        },
        headers=bearer(token),
    )

    # Then the SIRET is stored without spaces, its SIREN follows, the region becomes its code
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["siret"], body["siren"]) == ("73282932000074", "732829320")
    assert (body["region"], body["region_name"]) == ("84", "Auvergne-Rhône-Alpes")
    assert (body["public_category"], body["email"]) == ("municipality", "dsi@lyon.example")
    # And the profile shows them, to people and to the fediverse
    page = (await client.get("/@lyon")).text
    for shown in ("73282932000074", "732829320", "Commune", "Auvergne-Rhône-Alpes", "municipality"):
        assert shown in page
    fields = {
        f["name"]: f["value"]
        for f in (await client.get("/actors/lyon", headers=AS2_ACCEPT)).json()["attachment"]
    }
    assert fields["SIRET"] == "73282932000074" and fields["Region"] == "Auvergne-Rhône-Alpes"
    assert fields["Public body"] == "municipality"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"siren": "732829321"}, "check digit"),
        ({"siret": "73282932000075"}, "check digit"),
        ({"siren": "12345"}, "9 digits"),
        ({"siren": "552100554", "siret": "73282932000074"}, "not an establishment"),
        ({"region": "Atlantis"}, "neither a French region"),
        ({"public_category": "municipality"}, "only an actor of kind public_body"),
        ({"public_category": "castle"}, "public_category"),
        ({"email": "not an address"}, "email"),
    ],
)
async def test_patch_actor__bad_identity_is_a_422_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, change: dict[str, str], reason: str
) -> None:
    # Given a cooperative with a valid SIREN
    _, token = await create_actor(app, "coop", siren="552100554")

    # When it sends a contradictory or malformed identity
    response = await client.patch("/api/v1/actors/coop", json=change, headers=bearer(token))

    # Then it is told why, and nothing changed
    assert response.status_code == 422
    assert reason in response.text
    after = (await client.get("/api/v1/actors/coop")).json()
    assert (after["siren"], after["siret"], after["region"]) == ("552100554", None, None)


async def test_directory__filters_actors_by_kind_and_region(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given actors of several kinds and regions
    await create_actor(app, "lyon", kind="public_body", region="84")
    await create_actor(app, "rennes", kind="public_body", region="53")
    await create_actor(app, "scop", kind="cooperative", region="84")

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/v1/directory?type=actor&{query}")
        assert response.status_code == 200, response.text
        return sorted(e["handle"].split("@")[1] for e in response.json()["items"])

    # Then kind and region filter, alone and together; a region may be given by name
    assert await names("kind=public_body") == ["lyon", "rennes"]
    assert await names("region=84") == ["lyon", "scop"]
    assert await names("region=Auvergne-Rh%C3%B4ne-Alpes&kind=public_body") == ["lyon"]
    # And the page filters alike
    page = (await client.get("/?type=actor&kind=public_body&region=53")).text
    assert "@rennes@" in page and "@lyon@" not in page
    # And an unknown region is a 422
    assert (await client.get("/api/v1/directory?region=Atlantis")).status_code == 422
