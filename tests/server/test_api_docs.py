"""The API's own pages work offline, and the OpenAPI document declares its bearer scheme and the
4xx answers of each route."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_api_docs__every_asset_is_served_from_here(
    client: httpx.AsyncClient, path: str
) -> None:
    # When a browser opens the API's page
    page = await client.get(path)

    # Then it names no other origin, uses no inline script, and every asset it loads is served
    assert page.status_code == 200
    assert "//" not in re.sub(r"<!DOCTYPE[^>]*>", "", page.text).replace("://www.w3.org", "")
    assert re.search(r"<script>(?!</script>)", page.text) is None
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert len(assets) >= 2
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_openapi__declares_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["token"]["description"],
    }
    assert document["paths"]["/api/v1/projects"]["post"]["security"] == [{"token": []}]
    assert "security" not in document["paths"]["/api/v1/projects"]["get"]


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        ("post", "/api/v1/projects", {"201", "401", "403", "409", "413", "422"}),
        ("get", "/api/v1/projects/{object_id}", {"200", "404", "410"}),
        ("patch", "/api/v1/funding-calls/{object_id}", {"401", "403", "404", "410", "409"}),
        ("get", "/api/v1/follows", {"200", "401", "403"}),
        ("get", "/api/v1/funding-calls/{object_id}/history", {"200", "404", "410"}),
    ],
)
async def test_openapi__documents_the_errors_of_each_route(
    client: httpx.AsyncClient, method: str, path: str, codes: set[str]
) -> None:
    responses = (await client.get("/openapi.json")).json()["paths"][path][method]["responses"]
    assert codes <= set(responses)
    error = responses[sorted(codes - {"200", "201"})[0]]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
