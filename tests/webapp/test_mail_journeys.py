"""Journeys through mailed links, with a real SMTP server: invitation, sign-up, reset."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from server.main import create_app
from server.settings import Settings
from tests.conftest import TEST_BASE_URL, create_actor
from tests.mailbox import Mailbox
from tests.webapp.people import PASSWORD, csrf_in, make_account, post_form, sign_in


async def test_invitation__a_mailed_link_makes_a_new_member_who_publishes(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: tuple[Mailbox, str]
) -> None:
    # Given an owner who invites bob as an editor
    actor, _ = await create_actor(mail_app, "coop")
    await make_account(mail_app, "ada@example.org", member_of=actor)
    await sign_in(mail_client, "ada@example.org")
    invited = await post_form(
        mail_client,
        "/app/@coop/members",
        "/app/@coop/members",
        {"email": "bob@example.org", "role": "editor"},
    )
    assert invited.status_code == 303
    await post_form(mail_client, "/app", "/signout", {})

    # When bob follows the link he received and chooses a password
    link = mailbox[0].link_to("bob@example.org")
    joined = await post_form(
        mail_client, link, link, {"password": PASSWORD, "password_again": PASSWORD}
    )

    # Then he is signed in, on the actor's dashboard, and can publish
    assert joined.status_code == 303 and joined.headers["location"] == "/app/@coop"
    published = await post_form(
        mail_client,
        "/app/@coop/projects/new",
        "/app/@coop/projects/new",
        {"name": "Bob's commons", "license": "MIT", "status": "active"},
    )
    assert published.status_code == 303
    projects = (await mail_client.get("/api/v1/projects?actor=coop")).json()["items"]
    assert [p["name"] for p in projects] == ["Bob's commons"]
    # And the link works once only
    again = await mail_client.get(link)
    assert again.status_code == 404


async def test_signup__open_registrations_confirm_by_mail(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: tuple[Mailbox, str]
) -> None:
    signed_up = await post_form(
        mail_client,
        "/signup",
        "/signup",
        {"email": "Carol@Example.org", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert signed_up.status_code == 200 and "Check your mail" in signed_up.text
    refused = await sign_in(mail_client, "carol@example.org")
    assert refused.status_code == 401 and "Confirm your email address" in refused.text

    link = mailbox[0].link_to("carol@example.org")
    confirmed = await post_form(mail_client, link, link, {})
    assert confirmed.status_code == 303
    created = await post_form(
        mail_client, "/app", "/app/actors", {"username": "carol", "name": "Carol", "kind": "person"}
    )
    assert created.status_code == 303 and created.headers["location"] == "/app/@carol"


async def test_password_reset__the_mailed_link_sets_a_new_password_once(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: tuple[Mailbox, str]
) -> None:
    await make_account(mail_app, "ada@example.org")
    await post_form(
        mail_client, "/password/forgot", "/password/forgot", {"email": "ada@example.org"}
    )
    await post_form(
        mail_client, "/password/forgot", "/password/forgot", {"email": "nobody@example.org"}
    )
    assert mailbox[0].to("nobody@example.org") == []
    link = mailbox[0].link_to("ada@example.org")
    new = "another long password"
    too_short = await post_form(mail_client, link, link, {"password": "x", "password_again": "x"})
    assert too_short.status_code == 422 and "At least 10 characters." in too_short.text
    reset = await post_form(mail_client, link, link, {"password": new, "password_again": new})
    assert reset.status_code == 303
    await post_form(mail_client, "/app", "/signout", {})
    assert (await sign_in(mail_client, "ada@example.org")).status_code == 401
    assert (await sign_in(mail_client, "ada@example.org", new)).status_code == 303


async def test_signup__approval_waits_for_an_admin(
    settings: Settings, mailbox: tuple[Mailbox, str]
) -> None:
    configured = settings.model_copy(update={"smtp_url": mailbox[1], "registrations": "approval"})
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        await make_account(app, "root@example.org", admin=True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
            # Given a person who signs up and confirms the address
            fields = {"email": "dan@example.org", "password": PASSWORD, "password_again": PASSWORD}
            await post_form(client, "/signup", "/signup", fields)
            link = mailbox[0].link_to("dan@example.org")
            confirmed = await post_form(client, link, link, {})
            assert "waits for an admin" in confirmed.text
            assert (await sign_in(client, "dan@example.org")).status_code == 401

            # When an admin approves the account
            await sign_in(client, "root@example.org")
            page = await client.get("/admin")
            approve = first_action(page.text, "/approve")
            await client.post(approve, data={"csrf": csrf_in(page.text)})
            await post_form(client, "/admin", "/signout", {})

            # Then it signs in
            assert (await sign_in(client, "dan@example.org")).status_code == 303


def first_action(html: str, ending: str) -> str:
    """Return the first form action of the page that ends with ``ending``."""
    found = re.search(rf'action="([^"]+{re.escape(ending)})"', html)
    assert found, f"no form posting to …{ending}"
    return found.group(1)
