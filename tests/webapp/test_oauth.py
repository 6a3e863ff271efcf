"""OAuth 2.0 authorization code with PKCE: an app registers, a member authorises it for one
actor, the app's token works on the JSON API until the member (or the app) revokes it."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.webapp.people import csrf_in, make_account, sign_in

REDIRECT = "https://app.example/callback"


@pytest.fixture
async def https_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app over https, as OAuth requires (Authlib refuses plain http)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://communs.test") as http:
        yield http


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _authorize(
    client: httpx.AsyncClient, app_json: dict[str, str], challenge: str, *, decision: str
) -> dict[str, list[str]]:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app_json["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "read write",
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page = await client.get(f"/oauth/authorize?{query}")
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    answer = await client.post(
        "/oauth/authorize", data=fields | {"actor": "coop", "decision": decision}
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


async def test_oauth__app_gets_a_token_that_posts_then_is_revoked(
    app: FastAPI, https_client: httpx.AsyncClient
) -> None:
    # Given a registered app and a member of coop who signs in
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)
    registered = await https_client.post(
        "/api/v1/apps",
        json={"client_name": "Poster", "redirect_uris": REDIRECT, "scopes": "read write"},
    )
    assert registered.status_code == 200
    client_app = registered.json()
    await sign_in(https_client, "ada@example.org")

    # When she authorises it for coop, and the app trades the code with its verifier
    verifier, challenge = _pkce()
    answer = await _authorize(https_client, client_app, challenge, decision="approve")
    assert answer["state"] == ["xyz"]
    code = answer["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_app["client_id"],
    }
    wrong = await https_client.post("/oauth/token", data=exchange | {"code_verifier": "x" * 50})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    granted = await https_client.post("/oauth/token", data=exchange | {"code_verifier": verifier})
    assert granted.status_code == 200, granted.text
    token = granted.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read write"

    # Then the token publishes as coop, and the code does not work twice
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    posted = await https_client.post("/api/v1/projects", json={"name": "Via app"}, headers=headers)
    assert posted.status_code == 201 and posted.json()["actor"].endswith("/actors/coop")
    again = await https_client.post("/oauth/token", data=exchange | {"code_verifier": verifier})
    assert again.status_code == 400

    # And once the member revokes it on the tokens page, it is refused
    page = await https_client.get("/app/@coop/tokens")
    assert "Poster" in page.text
    revoke = re.search(r'action="(/app/@coop/tokens/\d+/revoke)"', page.text)
    assert revoke
    await https_client.post(revoke.group(1), data={"csrf": csrf_in(page.text)})
    refused = await https_client.get("/api/v1/follows", headers=headers)
    assert refused.status_code == 401


async def test_oauth__refusal_pkce_required_and_unknown_apps(
    app: FastAPI, https_client: httpx.AsyncClient
) -> None:
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)
    client_app = (
        await https_client.post(
            "/api/v1/apps", json={"client_name": "Poster", "redirect_uris": [REDIRECT]}
        )
    ).json()
    await sign_in(https_client, "ada@example.org")
    denied = await _authorize(https_client, client_app, _pkce()[1], decision="deny")
    assert denied["error"] == ["access_denied"] and "code" not in denied

    without_pkce = await https_client.get(
        "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_app["client_id"],
                "redirect_uri": REDIRECT,
                "scope": "read",
            }
        )
    )
    assert without_pkce.status_code == 422 and "code_challenge" in without_pkce.text
    unknown = await https_client.get("/oauth/authorize?response_type=code&client_id=nope")
    assert unknown.status_code == 422
    bad = await https_client.post(
        "/api/v1/apps", json={"client_name": "X", "redirect_uris": "ftp://x"}
    )
    assert bad.status_code == 422


async def test_oauth__the_app_may_revoke_its_token(
    app: FastAPI, https_client: httpx.AsyncClient
) -> None:
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)
    client_app = (
        await https_client.post(
            "/api/v1/apps", json={"client_name": "Poster", "redirect_uris": REDIRECT}
        )
    ).json()
    await sign_in(https_client, "ada@example.org")
    verifier, challenge = _pkce()
    code = (await _authorize(https_client, client_app, challenge, decision="approve"))["code"][0]
    auth = httpx.BasicAuth(client_app["client_id"], client_app["client_secret"])
    granted = await https_client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=auth,
    )
    assert granted.status_code == 200, granted.text
    access = granted.json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert (await https_client.get("/api/v1/follows", headers=headers)).status_code == 200
    revoked = await https_client.post("/oauth/revoke", data={"token": access}, auth=auth)
    assert revoked.status_code == 200
    assert (await https_client.get("/api/v1/follows", headers=headers)).status_code == 401
