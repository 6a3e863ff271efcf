"""Bootstrap from the command line: ``communs account create`` prints a sign-in link that
works once; ``serve --demo`` makes a demo account whose password it prints."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from server.demo import seed_demo, seed_demo_account
from tests.server.test_cli import run
from tests.webapp.people import csrf_in, post_form, sign_in


async def test_cli__account_create_prints_a_single_use_sign_in_link(
    database_url: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an admin account made from the command line, and an actor it owns
    made = run("actor", "create", "coop", "--name", "Coop", COMMUNS_DATABASE_URL=database_url)
    assert made.returncode == 0, made.stderr
    result = run(
        "account",
        "create",
        "Root@Example.org",
        "--admin",
        "--member-of",
        "coop",
        COMMUNS_DATABASE_URL=database_url,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("http://communs.test/signin/link/")
    path = link.removeprefix("http://communs.test")

    # When the link is opened and its button pressed
    page = await client.get(path)
    used = await client.post(path, data={"csrf": csrf_in(page.text)})

    # Then the admin is signed in and asked for a password, and the link is spent
    assert used.status_code == 303 and used.headers["location"] == "/account#password"
    assert (await client.get("/admin")).status_code == 200
    assert (await client.get("/app/@coop")).status_code == 200
    password = "chosen from the link"
    chosen = await post_form(
        client, "/account", "/account/password", {"password": password, "password_again": password}
    )
    assert chosen.status_code == 303
    await post_form(client, "/app", "/signout", {})
    again = await client.post(path, data={"csrf": csrf_in((await client.get(path)).text)})
    assert again.status_code == 404
    assert (await sign_in(client, "root@example.org", password)).status_code == 303


def test_cli__account_create_refuses_a_bad_address_and_a_taken_one(database_url: str) -> None:
    bad = run("account", "create", "nobody", COMMUNS_DATABASE_URL=database_url)
    assert bad.returncode == 2 and "not an email address" in bad.stderr
    assert (
        run("account", "create", "a@example.org", COMMUNS_DATABASE_URL=database_url).returncode == 0
    )
    taken = run("account", "create", "a@example.org", COMMUNS_DATABASE_URL=database_url)
    assert taken.returncode == 1 and "already exists" in taken.stderr
    assert "Traceback" not in taken.stderr


async def test_demo__account_signs_in_with_the_printed_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    state = app.state.communs
    await seed_demo(state.settings, state.db, state.urls)
    await seed_demo_account(state.settings, state.db, state.urls)
    email, password = await seed_demo_account(state.settings, state.db, state.urls)
    assert (await sign_in(client, email, password)).status_code == 303
    assert (await client.get("/app/@demo")).status_code == 200
