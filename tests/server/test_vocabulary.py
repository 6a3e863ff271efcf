"""Our vocabulary: served at /ns, used inline by every Note, documented in FEDERATION.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from schemas.context import AS2, COMMUNS_TERMS, DATA_INTEGRITY
from tests.conftest import create_actor
from tests.publications import AS2_ACCEPT, bearer, post_call, post_project

#: The ActivityStreams terms our objects use; everything else must be defined inline.
AS2_TERMS = {
    "id", "type", "attributedTo", "url", "published", "updated", "to", "cc", "content",
    "contentMap", "tag", "name", "href", "endTime", "deleted", "formerType",
    "replies", "likes", "shares", "totalItems", "first",
}  # fmt: skip
FEDERATION_MD = Path(__file__).parents[2] / "FEDERATION.md"


def terms_of(document: Any, found: set[str]) -> set[str]:
    """Return every member name of a JSON document, recursively (map keys of ``@index``
    containers and ``contentMap`` languages are values, not terms)."""
    if isinstance(document, list):
        for item in document:
            terms_of(item, found)
    elif isinstance(document, dict):
        for key, value in document.items():
            if key.startswith("@"):
                continue
            found.add(key)
            if key in ("raisedBySector", "contentMap"):
                for inner in value.values():
                    terms_of(inner, found)
            else:
                terms_of(value, found)
    return found


async def test_vocabulary__served_as_json_ld(client: httpx.AsyncClient) -> None:
    response = await client.get("/ns")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["@context"]["communs"] == "https://w3id.org/communs/ns#"
    assert COMMUNS_TERMS.items() <= document["@context"].items()
    defined = {entry["@id"] for entry in document["@graph"]}
    assert {"communs:goal", "communs:raisedBySector", "communs:sector"} <= defined


async def test_vocabulary__every_term_our_objects_use_is_defined_inline(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project, a funding call and a pledge
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"])
    pledge = (
        await client.post(
            f"/api/v1/funding-calls/{call['id']}/pledges",
            json={
                "amount": {"amount": "10", "currency": "EUR"},
                "sector": "private",
                "funder_name": "ACME",
                "message": "Hi",
            },
            headers=bearer(token),
        )
    ).json()
    # And a declaration of services
    declared = (
        await client.post(
            "/api/v1/declarations",
            json={
                "project": project["id"],
                "kind": "serves",
                "services": ["hosting"],
                "regions": ["84"],
                "text": "In Lyon.",
            },
            headers=bearer(token),
        )
    ).json()
    # When peers fetch them
    documents = [
        (await client.get(uri, headers=AS2_ACCEPT)).json()
        for uri in (project["uri"], call["uri"], pledge["uri"], declared["uri"])
    ]
    # Then the only context URLs are ActivityStreams' and, on a document carrying a proof, Data
    # Integrity's (which defines `proof`); every other term is defined inline
    for document in documents:
        context = document["@context"]
        urls = [c for c in context if isinstance(c, str)]
        assert context[0] == AS2
        assert urls == ([AS2, DATA_INTEGRITY] if "proof" in document else [AS2])
        inline = set().union(*(c.keys() for c in context if isinstance(c, dict)))
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        assert terms_of(unsigned, set()) - AS2_TERMS <= inline
    assert "proof" in documents[2]


def test_federation_md__documents_every_term() -> None:
    text = FEDERATION_MD.read_text(encoding="utf-8")
    assert "FEP-67ff" in text and "/ns" in text
    for term in set(COMMUNS_TERMS) - {"communs", "schema", "Hashtag", "sensitive"}:
        assert f"`{term}`" in text, term
