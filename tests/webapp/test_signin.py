"""Signing in through the forms: password, second factor, CSRF, sign-out, throttling."""

from __future__ import annotations

import httpx
import pyotp
from babel.dates import format_date
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.webapp.people import PASSWORD, csrf_in, make_account, post_form, sign_in


async def test_signin__password_then_dashboard(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)

    response = await sign_in(client, "ada@example.org")

    assert response.status_code == 303 and response.headers["location"] == "/app"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = await client.get("/app")
    assert page.status_code == 200 and "@coop" in page.text
    assert (await client.get("/app/@coop")).status_code == 200


async def test_signin__wrong_password_shows_the_form_again(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_account(app, "ada@example.org")
    response = await sign_in(client, "ada@example.org", "wrong password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert (await client.get("/app")).status_code == 303


async def test_signin__post_without_csrf_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a signed-in member
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)
    await sign_in(client, "ada@example.org")

    # When forms are posted without their token, or with another one
    bare = await client.post("/app/@coop/projects/new", data={"name": "Sneaky"})
    forged = await client.post("/app/@coop/projects/new", data={"name": "Sneaky", "csrf": "0" * 64})
    anonymous = await httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url)
    ).post("/signin", data={"email": "ada@example.org", "password": PASSWORD})

    # Then each is refused and nothing is written
    assert bare.status_code == forged.status_code == anonymous.status_code == 403
    dashboard = await client.get("/app/@coop")
    assert "Sneaky" not in dashboard.text


async def test_signout__a_copied_cookie_is_refused_afterwards(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, _ = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=actor)
    response = await sign_in(client, "ada@example.org")
    stolen = dict(client.cookies)

    await post_form(client, "/app", "/signout", {})

    thief = httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url), cookies=stolen
    )
    assert response.status_code == 303
    refused = await thief.get("/app/@coop")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")


async def test_signin__second_factor_with_totp_then_a_recovery_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an account that turns its second factor on from its settings
    await make_account(app, "ada@example.org")
    await sign_in(client, "ada@example.org")
    started = await post_form(client, "/account", "/account/totp/start", {})
    secret = started.text.split('id="totp-secret">')[1].split("<")[0]
    turned_on = await client.post(
        "/account/totp",
        data={"csrf": csrf_in(started.text), "secret": secret, "code": pyotp.TOTP(secret).now()},
    )
    assert "recovery codes" in turned_on.text
    codes = turned_on.text.split('<ul class="secret">')[1].split("</ul>")[0]
    recovery = codes.split("<li>")[1].split("</li>")[0]
    await post_form(client, "/account", "/signout", {})

    # When it signs in again, the password alone is not enough
    first = await sign_in(client, "ada@example.org")
    assert first.headers["location"].startswith("/signin/second-factor")
    assert (await client.get("/app")).status_code == 303
    wrong = await post_form(
        client, first.headers["location"], "/signin/second-factor", {"code": "000000"}
    )
    assert wrong.status_code == 401 and "This code is not valid." in wrong.text

    # Then a recovery code completes it (the TOTP code of this step was spent already)
    done = await post_form(
        client, first.headers["location"], "/signin/second-factor", {"code": recovery}
    )
    assert done.status_code == 303
    assert (await client.get("/app")).status_code == 200


async def test_signin__throttled_after_repeated_failures(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_account(app, "ada@example.org")
    for _ in range(20):
        await sign_in(client, "ada@example.org", "wrong password")
    response = await sign_in(client, "ada@example.org")
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 1 minute." in response.text


async def test_signin__cookies_are_secure_and_host_only_on_https(settings) -> None:  # type: ignore[no-untyped-def]
    from server.main import create_app

    secure = create_app(settings.model_copy(update={"base_url": "https://communs.test"}))
    async with secure.router.lifespan_context(secure):
        await make_account(secure, "ada@example.org")
        transport = httpx.ASGITransport(app=secure)
        async with httpx.AsyncClient(transport=transport, base_url="https://communs.test") as http:
            page = await http.get("/signin")
            assert page.headers["set-cookie"].startswith("__Host-communs_csrf=")
            response = await sign_in(http, "ada@example.org")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-communs_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie


async def test_account_page__sessions_are_dated_in_the_page_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_account(app, "ada@example.org")
    await sign_in(client, "ada@example.org")
    today = app.state.communs.clock.today()
    for language, locale in (("en", "en_GB"), ("fr", "fr_FR")):
        page = await client.get("/account", headers={"Accept-Language": language})
        sessions = page.text.split("<table", 1)[1].split("</table>", 1)[0]
        # "7 Dec 2026, 19:22:05 UTC" and "7 déc. 2026, 19:22:05 UTC", not "2026-12-07 19:22"
        assert format_date(today, format="medium", locale=locale) in sessions, language
        assert today.isoformat() not in sessions
