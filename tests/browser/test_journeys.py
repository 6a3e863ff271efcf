"""Journeys in a real headless Chromium against real servers on 127.0.0.1, with axe-core
finding no serious or critical violation on any page they open."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from server.domain.access import Role
from server.domain.moderation import list_domains
from tests.browser.driver import Browser, first_match
from tests.conftest import create_actor
from tests.mailbox import Mailbox, smtp_server
from tests.pictures import picture
from tests.realservers import Instance, eventually, recording_inbox, serve
from tests.webapp.people import PASSWORD, make_account

pytestmark = pytest.mark.slow


@pytest.fixture
async def instance(database_url: str) -> AsyncIterator[tuple[Instance, Mailbox]]:
    """A real instance on 127.0.0.1 that mails through a real local SMTP server."""
    with smtp_server() as (mailbox, smtp_url):
        async with serve(database_url, smtp_url=smtp_url) as running:
            yield running, mailbox


def _browser(driver: WebDriver, running: Instance, journey: str) -> Browser:
    return Browser(driver=driver, base_url=running.base_url, journey=journey)


async def _sign_in(browser: Browser, email: str, password: str = PASSWORD) -> None:
    await browser.open("/signin")
    await browser.submit({"email": email, "password": password})


async def test_journey__sign_in_with_a_second_factor(
    fresh_chromium: WebDriver, instance: tuple[Instance, Mailbox]
) -> None:
    running, _ = instance
    actor, _ = await create_actor(running.app, "coop")
    await make_account(running.app, "ada@example.org", member_of=actor)
    browser = _browser(fresh_chromium, running, "second-factor")

    # Given a member who turns the second factor on from her account page
    await _sign_in(browser, "ada@example.org")
    await browser.open("/account")
    await browser.submit(button="Set up a second factor")
    secret = await browser.find_text("totp-secret")
    await browser.submit({"code": pyotp.TOTP(secret).now()}, button="Turn on")
    assert "recovery codes" in await browser.text()
    await browser.submit(button="Sign out")

    # When she signs in again, the password leads to the second factor
    await _sign_in(browser, "ada@example.org")
    assert "/signin/second-factor" in await browser.url()
    await browser.submit({"code": "000000"})
    assert "This code is not valid." in await browser.text()
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    await browser.submit({"code": next_code})

    # Then she reaches her actors
    assert (await browser.url()).endswith("/app")
    assert "@coop" in await browser.text()
    browser.assert_accessible()


async def test_journey__create_a_project_open_a_call_record_a_pledge(
    fresh_chromium: WebDriver, instance: tuple[Instance, Mailbox]
) -> None:
    running, _ = instance
    actor, _ = await create_actor(running.app, "coop")
    await make_account(running.app, "ada@example.org", member_of=actor)
    browser = _browser(fresh_chromium, running, "publish")
    await _sign_in(browser, "ada@example.org")

    # A project: an error shown next to its field, a preview, then published
    await browser.open("/app/@coop/projects/new")
    await browser.submit({"name": "Repair map", "license": "Not-A-Licence"}, button="Publish")
    assert "not an SPDX licence identifier" in await browser.text()
    await browser.submit({"license": "AGPL-3.0-or-later", "tags": "repair maps"}, button="Preview")
    assert "Preview of the post on Mastodon" in await browser.text()
    await browser.submit(button="Publish")
    assert "Repair map" in await browser.text()

    # A funding call for it
    await browser.open("/app/@coop/calls/new")
    await browser.submit(
        {
            "title": "A year of upkeep",
            "goal": "1000.00",
            "currency": "EUR",
            "deadline": "2099-12-31",
        }
        | {"tags": "upkeep"},
        button="Publish",
    )
    assert "A year of upkeep" in await browser.text()

    # A pledge recorded for an offline funder
    html = await browser.html()
    pledge_path = first_match(r'href="(/app/@coop/calls/\w+/pledges)"', html)
    await browser.open(pledge_path)
    await browser.submit({"funder_name": "Région", "amount": "250", "sector": "public"})
    assert "€250.00 / €1,000.00 (25 %)" in await browser.text()  # English figures
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        calls = (await http.get("/api/v1/funding-calls?actor=coop")).json()["items"]
    assert calls[0]["raised"] == {"amount": "250.00", "currency": "EUR"}
    await browser.open(f"/funding-calls/{calls[0]['id']}")
    browser.assert_accessible()


async def test_journey__accept_a_follow_request_from_a_real_second_server(
    fresh_chromium: WebDriver,
    instance: tuple[Instance, Mailbox],
    second_database_url: str,
) -> None:
    running, _ = instance
    actor, _ = await create_actor(running.app, "coop", manually_approves_followers=True)
    await make_account(running.app, "ada@example.org", member_of=actor)
    browser = _browser(fresh_chromium, running, "follow-request")
    async with serve(second_database_url) as other:
        # Given an actor of another instance who asks to follow coop
        _, token = await create_actor(other.app, "fan")
        async with httpx.AsyncClient(base_url=other.base_url) as http:
            headers = {"Authorization": f"Bearer {token}"}
            asked = await http.post(
                "/api/v1/follows", json={"target": f"coop@{running.domain}"}, headers=headers
            )
            assert asked.status_code == 202 and asked.json()["state"] == "pending"

            # When the owner accepts it in the browser
            await _sign_in(browser, "ada@example.org")

            async def request_arrived() -> bool:
                await browser.open("/app/@coop/follows")
                return "fan@" in await browser.text()

            await eventually(request_arrived, what="the follow request")
            await browser.submit(button="Accept")

            # Then the other instance learns it was accepted
            async def accepted() -> bool:
                follows = (await http.get("/api/v1/follows", headers=headers)).json()
                return bool(follows) and follows[0]["state"] == "accepted"

            await eventually(accepted, what="the Accept on the other instance")
    assert "No request waiting." in await browser.text()
    browser.assert_accessible()


async def test_journey__invited_member_signs_up_through_the_mail_and_publishes(
    fresh_chromium: WebDriver, instance: tuple[Instance, Mailbox]
) -> None:
    running, mailbox = instance
    actor, _ = await create_actor(running.app, "coop")
    await make_account(running.app, "ada@example.org", member_of=actor)
    browser = _browser(fresh_chromium, running, "invitation")

    # Given an owner who invites bob as an editor
    await _sign_in(browser, "ada@example.org")
    await browser.open("/app/@coop/members")
    await browser.submit(
        {"email": "bob@example.org", "role": "editor"}, button="Send the invitation"
    )
    assert "bob@example.org" in await browser.text()
    await browser.submit(button="Sign out")

    # When bob opens the mailed link and chooses a password
    link = mailbox.link_to("bob@example.org")
    await browser.open(link)
    await browser.submit(
        {"password": "bob's long password", "password_again": "bob's long password"}
    )

    # Then he publishes for coop
    assert (await browser.url()).endswith("/app/@coop")
    await browser.open("/app/@coop/projects/new")
    await browser.submit({"name": "Bob's commons", "license": "MIT"}, button="Publish")
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        projects = (await http.get("/api/v1/projects?actor=coop")).json()["items"]
    names = [p["name"] for p in projects]
    assert names == ["Bob's commons"]
    browser.assert_accessible()


async def test_journey__an_admin_blocks_a_domain(
    fresh_chromium: WebDriver, instance: tuple[Instance, Mailbox]
) -> None:
    running, _ = instance
    await make_account(running.app, "root@example.org", admin=True)
    browser = _browser(fresh_chromium, running, "admin")
    await _sign_in(browser, "root@example.org")
    await browser.open("/admin")
    await browser.submit({"domain": "spam.example", "block": "reject"}, button="Apply")
    assert "spam.example — blocked" in await browser.text()
    async with running.app.state.communs.db.session() as session:
        domains = {d.host: d.block for d in await list_domains(session)}
    assert domains == {"spam.example": "reject"}
    browser.assert_accessible()


async def test_journey__an_oauth_app_gets_a_token_and_posts(
    fresh_chromium: WebDriver, instance: tuple[Instance, Mailbox]
) -> None:
    running, _ = instance
    actor, _ = await create_actor(running.app, "coop")
    await make_account(running.app, "ada@example.org", member_of=actor, role=Role.editor)
    browser = _browser(fresh_chromium, running, "oauth")
    async with (
        recording_inbox() as (_, app_url),
        httpx.AsyncClient(base_url=running.base_url) as http,
    ):
        # Given an app registered with its callback
        callback = f"{app_url}/callback"
        registered = await http.post(
            "/api/v1/apps",
            json={"client_name": "Poster", "redirect_uris": callback, "scopes": "read write"},
        )
        client: dict[str, Any] = registered.json()
        verifier = "v" * 64
        challenge = _s256(verifier)

        # When a member signs in and authorises it for coop
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": callback,
                "scope": "read write",
                "state": "s1",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        await browser.open(f"/oauth/authorize?{query}")
        assert (await browser.url()).startswith(f"{running.base_url}/signin")
        await browser.submit({"email": "ada@example.org", "password": PASSWORD})
        assert "Poster" in await browser.text()
        await browser.submit({"actor": "coop"}, button="Authorise")
        landed = urlsplit(await browser.url())
        code = parse_qs(landed.query)["code"][0]

        # Then the app trades the code for a token that posts as coop
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback,
                "client_id": client["client_id"],
                "code_verifier": verifier,
            },
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        posted = await http.post("/api/v1/projects", json={"name": "From an app"}, headers=headers)
        assert posted.status_code == 201
    browser.pages = [page for page in browser.pages if page.startswith(running.base_url)]
    browser.violations = [v for v in browser.violations if v.startswith(running.base_url)]
    browser.assert_accessible()


def _s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


async def test_axe__reports_a_page_that_breaks_the_rules(fresh_chromium: WebDriver) -> None:
    # An image without a text alternative, in a page with no language: axe must object
    browser = Browser(driver=fresh_chromium, base_url="", journey="axe-check")
    await browser.open("data:text/html,<title>x</title><img src='a.png'><a href='/'></a>")
    assert any("image-alt (critical" in v for v in browser.violations), browser.violations


async def test_journey__an_owner_gives_the_actor_an_avatar_and_a_project_an_image(
    fresh_chromium: WebDriver, database_url: str, tmp_path: Path
) -> None:
    async with serve(database_url, media_dir=tmp_path / "media") as running:
        actor, token = await create_actor(running.app, "coop")
        await make_account(running.app, "ada@example.org", member_of=actor)
        browser = _browser(fresh_chromium, running, "pictures")
        await _sign_in(browser, "ada@example.org")
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(picture(size=(800, 600), gps=True))

        # The avatar, from the profile's pictures page
        await browser.open("/app/@coop/profile")
        await browser.open("/app/@coop/pictures")
        await browser.attach("file", str(photo))
        await browser.submit({"kind": "avatar"}, button="Upload")
        assert await browser.accessible_names("button.danger") == ["Remove the avatar"]

        # An image of a project, refused without its alt text, then taken with it
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            project = await http.post(
                "/api/v1/projects",
                json={"name": "Repair map"},
                headers={"Authorization": f"Bearer {token}"},
            )
        await browser.open(f"/app/@coop/projects/{project.json()['id']}/pictures")
        await browser.attach("file", str(photo))
        await browser.submit({"kind": "image"}, button="Upload")
        assert "an image needs its alt text, for those who cannot see it" in await browser.text()
        await browser.attach("file", str(photo))
        await browser.submit({"kind": "image", "description": "The map"}, button="Upload")
        # Each picture's Remove button says which picture it removes
        await browser.attach("file", str(photo))
        await browser.submit({"kind": "image", "description": "The team"}, button="Upload")
        assert sorted(await browser.accessible_names("button.danger")) == [
            "Remove the image “The map”",
            "Remove the image “The team”",
        ]

        # Both show on the public pages
        await browser.open("/@coop")
        assert "/media/" in first_match(
            r'class="u-photo avatar" src="([^"]+)"', await browser.html()
        )
        await browser.open(f"/projects/{project.json()['id']}")
        assert 'alt="The map"' in await browser.html()
        browser.assert_accessible()
