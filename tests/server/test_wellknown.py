"""WebFinger, host-meta, NodeInfo and health, as Mastodon asks (FEDERATION.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from fastapi import FastAPI

from tests.conftest import TEST_BASE_URL, create_actor

ACTOR = f"{TEST_BASE_URL}/actors/coop"


async def test_webfinger__acct_resource(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:coop@communs.test"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    body = response.json()
    assert body["subject"] == "acct:coop@communs.test"
    assert ACTOR in body["aliases"]
    selves = [link for link in body["links"] if link["rel"] == "self"]
    assert selves == [{"rel": "self", "type": "application/activity+json", "href": ACTOR}]


async def test_webfinger__percent_encoded_resource(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    response = await client.get("/.well-known/webfinger?resource=acct%3Acoop%40communs.test")
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:coop@communs.test"


async def test_webfinger__acct_in_any_case(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:Coop@Communs.Test"}
    )
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:coop@communs.test"


async def test_webfinger__actor_url_resource(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    response = await client.get("/.well-known/webfinger", params={"resource": ACTOR})
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:coop@communs.test"


async def test_webfinger__unknown_is_404(client: httpx.AsyncClient) -> None:
    for resource in ("acct:nobody@communs.test", "acct:coop@elsewhere.example"):
        response = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 404, resource
        assert "detail" in response.json()


async def test_webfinger__malformed_is_400(client: httpx.AsyncClient) -> None:
    for query in ("", "?resource=", "?resource=acct:", "?resource=acct:@@", "?resource=ftp://x"):
        response = await client.get(f"/.well-known/webfinger{query}")
        assert response.status_code == 400, query


async def test_webfinger__instance_actor(client: httpx.AsyncClient) -> None:
    await client.get("/actor")
    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:communs.test@communs.test"}
    )
    assert response.status_code == 200
    selves = [link["href"] for link in response.json()["links"] if link["rel"] == "self"]
    assert selves == [f"{TEST_BASE_URL}/actor"]


async def test_host_meta__namespaced_lrdd_template(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None and link.get("rel") == "lrdd"
    assert link.get("template") == f"{TEST_BASE_URL}/.well-known/webfinger?resource={{uri}}"


async def test_nodeinfo__links_and_documents(app: FastAPI, client: httpx.AsyncClient) -> None:
    await create_actor(app, "coop")
    await create_actor(app, "mairie", kind="public_body")
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert [link["href"] for link in links] == [
        f"{TEST_BASE_URL}/nodeinfo/2.0",
        f"{TEST_BASE_URL}/nodeinfo/2.1",
    ]
    for version in ("2.0", "2.1"):
        response = await client.get(f"/nodeinfo/{version}")
        assert response.status_code == 200
        body = response.json()
        assert body["version"] == version
        assert body["software"]["name"] == "communs"
        assert body["protocols"] == ["activitypub"]
        assert body["usage"]["users"]["total"] == 2
        assert body["usage"]["localPosts"] == 0
    assert (await client.get("/nodeinfo/3.0")).status_code == 404


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_metrics__counters_and_queue_gauges(client: httpx.AsyncClient) -> None:
    await client.post(
        "/inbox", content=b"not json", headers={"Content-Type": "application/activity+json"}
    )
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert 'communs_inbox_requests_total{reason="malformed"}' in response.text
    assert "# TYPE communs_deliveries gauge" in response.text
