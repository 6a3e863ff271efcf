"""Input no column can hold or no server can be reached at is a clear 4xx, never a 500.

Each case here was a 500 once (found by fuzzing every route on both databases): text with NUL
or unpaired surrogates, numbers past a column's range, digits ``int`` refuses, URLs no request
can go to, values longer than their column, dates past ``datetime.max`` once in UTC.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.storage.models import Activity, FundingCall
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    REMOTE,
    RemoteServer,
    app,
    client,
    coop_auth,
    encode,
    remote,
    signed_headers,
)
from tests.server.test_remote_objects import call_note


async def count(app: FastAPI, table: Any) -> int:
    async with app.state.communs.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "Libre\\u0000Maps"}',
        b'{"name": "Libre \\ud800 Maps"}',
        b'{"name": "Maps", "tags": ["ok", "bad\\udc00"]}',
        b'{"name": "raw \xed\xa0\x80 surrogate"}',
    ],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate-in-a-list", "raw-encoded-surrogate"],
)
async def test_api_body__unstorable_text_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, raw: bytes
) -> None:
    auth = await coop_auth(app)
    response = await client.post(
        "/api/v1/projects", content=raw, headers=auth | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert (await client.get("/api/v1/projects")).json()["items"] == []


async def test_api_body__a_paired_surrogate_escape_is_text() -> None:
    from federation.storable import loads

    assert loads(b'{"name": "Maps \\ud83d\\uddfa"}') == {"name": "Maps \U0001f5fa"}


@pytest.mark.parametrize(
    "target",
    [
        "/api/v1/actors/%00",
        "/actors/co%00op",
        "/api/v1/projects?q=%00",
        "/api/v1/directory?tag=a%00b",
    ],
)
async def test_request_target__a_nul_character_is_400(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await client.get(target)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


@pytest.mark.parametrize("license", ["MIT/Apache-2.0", "MIT OR", "@", "€"])
async def test_license__what_the_spdx_parser_chokes_on_is_422(
    app: FastAPI, client: httpx.AsyncClient, license: str
) -> None:
    auth = await coop_auth(app)
    created = await client.post(
        "/api/v1/projects", json={"name": "Maps", "license": license}, headers=auth
    )
    assert created.status_code == 422 and "license" in created.text
    assert (await client.get("/api/v1/projects", params={"license": license})).status_code == 422


async def test_license__longer_than_its_column_once_normalised_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    auth = await coop_auth(app)
    # under 200 characters; over 200 once normalised, each group in parentheses
    license = " or ".join(["mit and isc"] * 13)
    assert len(license) <= 200
    created = await client.post(
        "/api/v1/projects", json={"name": "Maps", "license": license}, headers=auth
    )
    assert created.status_code == 422 and "200" in created.text


@pytest.mark.parametrize("page", ["²", "9223372036854775808", "2147483648"])
async def test_collection_page__a_cursor_past_any_id_is_an_empty_page(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(
        "/actors/coop/followers",
        params={"page": page},
        headers={"Accept": "application/activity+json"},
    )
    assert response.status_code == 200 and response.json()["orderedItems"] == []


@pytest.mark.parametrize("actor", ["²", "9223372036854775808"])
async def test_directory__an_actor_cursor_past_any_id_is_422(
    client: httpx.AsyncClient, actor: str
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps({"actor": actor}).encode()).decode().rstrip("=")
    response = await client.get("/api/v1/directory", params={"cursor": cursor})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/follows/2147483648"),
        ("POST", "/api/v1/follow-requests/9223372036854775808/accept"),
        ("POST", "/api/v1/deliveries/9223372036854775808/retry"),
    ],
)
async def test_path_id__past_its_column_is_422(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str
) -> None:
    auth = await coop_auth(app)
    assert (await client.request(method, path, headers=auth)).status_code == 422


@pytest.mark.parametrize(
    "host",
    [
        ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]) + ":65535",
        "[fe80::1%eth0]",
        "evil%0A.example",
    ],
    ids=["longer-than-its-column", "ipv6-zone", "newline-in-a-label"],
)
async def test_domain_block__a_host_no_column_or_server_takes_is_422(
    client: httpx.AsyncClient, admin_token: str, host: str
) -> None:
    response = await client.put(
        f"/api/v1/admin/domains/{host}",
        json={"block": "reject"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "key_id",
    ["https://remote.example:99999/users/bob", "https://xn--.example/users/bob"],
    ids=["port-out-of-range", "bad-idna"],
)
async def test_inbox__a_key_id_no_request_can_go_to_is_401(
    client: httpx.AsyncClient, remote: RemoteServer, key_id: str
) -> None:
    body = encode({"id": f"{REMOTE}/a/1", "type": "Like", "actor": BOB, "object": COOP})
    response = await client.post(
        "/inbox", content=body, headers=signed_headers(body, path="/inbox", key_id=key_id)
    )
    assert response.status_code == 401
    assert remote.requests == []


@pytest.mark.parametrize("raw_id", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
async def test_inbox__an_activity_with_unstorable_text_is_400_and_not_stored(
    app: FastAPI, client: httpx.AsyncClient, raw_id: str
) -> None:
    body = (
        f'{{"id": "{REMOTE}/a/{raw_id}", "type": "Like", "actor": "{BOB}", "object": "{COOP}"}}'
    ).encode()
    response = await client.post(
        "/inbox", content=body, headers=signed_headers(body, path="/inbox")
    )
    assert response.status_code == 400, response.text
    assert await count(app, Activity) == 0


@pytest.mark.parametrize(
    "document",
    [
        json.dumps(call_note(endTime="9999-12-31T23:59:59-12:00")).encode(),
        json.dumps(call_note(name="Fund the maps \ud800")).encode(),
        json.dumps(call_note(name="Fund the maps \x00")).encode(),
    ],
    ids=["deadline-past-datetime-max-in-utc", "lone-surrogate", "nul"],
)
async def test_lookup__a_remote_note_no_column_takes_is_a_4xx(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer, document: bytes
) -> None:
    uri = f"{REMOTE}/funding-calls/1"
    remote.documents[uri] = document
    response = await client.get(
        "/api/v1/lookup", params={"q": uri}, headers=await coop_auth(app, "read")
    )
    assert 400 <= response.status_code < 500, response.text
    assert await count(app, FundingCall) == 0


async def test_lookup__an_actor_whose_inbox_no_column_takes_is_a_4xx(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    uri = f"{REMOTE}/users/long"
    document = remote.actor_document("long") | {"inbox": f"{REMOTE}/inbox/{'x' * 2100}"}
    remote.documents[uri] = json.dumps(document).encode()
    response = await client.get(
        "/api/v1/lookup", params={"q": uri}, headers=await coop_auth(app, "read")
    )
    assert response.status_code == 404 and "actor" in response.json()["detail"]
