"""The public pages people act on: their language (browser, switcher, account), figures and
plurals in the page's locale, kept pages per language, error pages for browsers, following
from a profile through the visitor's own server, and the pledge action of a call's page."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.accounts.members import add_member
from server.domain.access import Role
from server.settings import Settings
from tests.conftest import create_actor, create_scratch_database
from tests.publications import bearer, post_call, post_project
from tests.realservers import bound_socket, run_asgi
from tests.server.test_faults import running
from tests.webapp.people import make_account, sign_in

HTML = {"Accept": "text/html"}
FRENCH = {"Accept": "text/html", "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def lang_of(html: str) -> str:
    found = re.search(r'<html lang="(\w+)">', html)
    assert found
    return found.group(1)


async def follow(client: httpx.AsyncClient, token: str, target: str) -> None:
    answer = await client.post("/api/v1/follows", json={"target": target}, headers=bearer(token))
    assert answer.status_code in (200, 201, 202), answer.text


async def test_call_page__money_and_words_follow_the_browser_s_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call of 30 000 € with nothing raised
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token, goal={"amount": "30000", "currency": "EUR"})
    path = f"/funding-calls/{call['id']}"
    # When an English and a French browser open its page
    english = (await client.get(path, headers=HTML)).text
    french = (await client.get(path, headers=FRENCH)).text
    # Then each reads words and figures of its own language
    assert lang_of(english) == "en" and lang_of(french) == "fr"
    assert "€0.00 of €30,000.00" in english and "Funders" in english
    assert "0,00\xa0€ réunis sur 30\u202f000,00\xa0€" in french and "Financeurs" in french
    assert "Secteur public" in french and "Public sector" not in french


async def test_home__cards_show_progress_in_the_page_s_locale(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    await post_call(client, token, goal={"amount": "50000", "currency": "EUR"})
    english = (await client.get("/", headers=HTML)).text
    french = (await client.get("/", headers=FRENCH)).text
    assert "€0.00 of €50,000.00" in english and 'class="progress"' in english
    assert "0,00\xa0€ sur 50\u202f000,00\xa0€" in french and "Annuaire" in french
    assert "50000.00 EUR" not in english + french


async def test_home__the_default_description_is_translated_an_admin_s_own_is_kept(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    french = (await client.get("/", headers=FRENCH)).text
    assert "Un foyer sur le fédivers pour celles et ceux qui font les communs numériques." in french
    assert "A home on the fediverse" not in french
    # And a description an admin wrote is shown as written, whatever the language
    own = settings.model_copy(update={"instance_description": "Les communs de Rennes"})
    app.state.communs.settings = own
    assert "<p>Les communs de Rennes</p>" in (await client.get("/", headers=HTML)).text


async def test_profile__plurals_follow_the_count_and_the_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with one follower, then two
    await create_actor(app, "coop")
    _, fan = await create_actor(app, "fan")
    _, other = await create_actor(app, "other")
    await follow(client, fan, "coop@communs.test")
    assert "<strong>1</strong> follower<" in (await client.get("/@coop", headers=HTML)).text
    assert "<strong>1</strong> abonné<" in (await client.get("/@coop", headers=FRENCH)).text
    await follow(client, other, "coop@communs.test")
    assert "<strong>2</strong> followers<" in (await client.get("/@coop", headers=HTML)).text
    assert "<strong>2</strong> abonnés<" in (await client.get("/@coop", headers=FRENCH)).text


async def test_language_switcher__kept_in_a_cookie_and_back_to_the_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    # The switcher's link sets the cookie and goes back to the page it was on
    page = (await client.get("/@coop", headers=HTML)).text
    assert 'href="/language?to=fr&amp;next=%2F%40coop"' in page
    switched = await client.get("/language?to=fr&next=/@coop")
    assert switched.status_code == 303 and switched.headers["location"] == "/@coop"
    assert "communs_lang=fr" in switched.headers["set-cookie"]
    # Then pages are French whatever the browser says, and ?lang= wins for one page
    assert lang_of((await client.get("/@coop", headers=HTML)).text) == "fr"
    assert lang_of((await client.get("/@coop?lang=en", headers=HTML)).text) == "en"
    # And a foreign target is refused: the switcher only goes back to this site
    away = await client.get("/language?to=en&next=//evil.example/")
    assert away.headers["location"] == "/"
    assert (await client.get("/language?to=xx&next=/")).status_code == 400


async def test_page_cache__kept_per_negotiated_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    english = await client.get("/@coop", headers=HTML)
    french = await client.get("/@coop", headers=FRENCH)
    assert english.headers["etag"] != french.headers["etag"]
    assert english.headers["vary"] == "Accept, Accept-Language, Cookie"
    # Another way of asking for French gets the same kept French page (its ETag: a 304)
    again = await client.get(
        "/@coop", headers={**HTML, "Accept-Language": "fr", "If-None-Match": french.headers["etag"]}
    )
    assert again.status_code == 304
    # And a visitor whose only cookie is the language choice is served the same page
    chosen = await client.get(
        "/@coop",
        headers={**HTML, "Cookie": "communs_lang=fr", "If-None-Match": french.headers["etag"]},
    )
    assert chosen.status_code == 304


async def test_errors__browsers_get_translated_pages_programs_json(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    missing = await client.get("/@nobody", headers=FRENCH)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in missing.text and lang_of(missing.text) == "fr"
    assert "aucun acteur local nommé &#39;nobody&#39;" in missing.text  # the error's own words
    assert "Page not found" in (await client.get("/@nobody", headers=HTML)).text
    assert (await client.get("/@nobody")).json()["detail"]
    bad = await client.get("/?currency=euro", headers=HTML)
    assert bad.status_code == 400 and "This request is not valid" in bad.text
    assert (await client.get("/?currency=euro")).status_code == 422
    wrong = await client.delete("/", headers=HTML)
    assert wrong.status_code == 405 and "This action is not possible here" in wrong.text
    api = await client.get("/api/v1/actors/nobody", headers=HTML)
    assert api.headers["content-type"].startswith("application/json")


async def test_home__empty_states_say_what_happened(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    fresh = (await client.get("/", headers=HTML)).text
    assert "This instance is new" in fresh and "Clear filters" not in fresh
    await create_actor(app, "coop")
    nothing = (await client.get("/?q=zzzz&kind=person", headers=HTML)).text
    assert "Nothing matches these filters." in nothing and 'href="/">Clear filters' in nothing
    assert '<option value="person" selected>' in nothing


@contextlib.asynccontextmanager
async def webfinger_server(links: list[dict[str, str]]) -> AsyncIterator[str]:
    """Serve a WebFinger answering ``me`` with ``links`` on 127.0.0.1; yield its host."""

    async def webfinger(request: Request) -> JSONResponse:
        resource = request.query_params.get("resource", "")
        if not resource.startswith("acct:me@"):
            return JSONResponse({}, status_code=404)
        return JSONResponse({"subject": resource, "links": links})

    sock = bound_socket()
    host = f"127.0.0.1:{sock.getsockname()[1]}"
    app = Starlette(routes=[Route("/.well-known/webfinger", webfinger)])
    async with run_asgi(app, sock):
        yield host


async def remote_follow(client: httpx.AsyncClient, handle: str, **headers: Any) -> httpx.Response:
    return await client.post("/@coop/follow", data={"handle": handle}, headers=HTML | headers)


async def test_follow_from_a_profile__sent_to_the_visitor_s_server_template(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a visitor whose server serves OStatus' subscribe template
    actor, _ = await create_actor(app, "coop")
    ostatus = {
        "rel": "http://ostatus.org/schema/1.0/subscribe",
        "template": "http://home.example/authorize_interaction?uri={uri}",
    }
    async with webfinger_server([ostatus]) as host:
        # When they type their handle on the profile
        answer = await remote_follow(client, f"@me@{host}")
    # Then they are sent there with our actor's id filled in
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "http://home.example/authorize_interaction?uri=http%3A%2F%2Fcommuns.test%2Factors%2Fcoop"
    )
    assert actor.uri == "http://communs.test/actors/coop"


async def test_follow_from_a_profile__prefers_the_fep_3b86_follow_intent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    links = [
        {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "http://a.example/?u={uri}"},
        {"rel": "https://w3id.org/fep/3b86/Follow", "template": "http://b.example/f?o={object}"},
    ]
    async with webfinger_server(links) as host:
        answer = await remote_follow(client, f"me@{host}")
    assert answer.headers["location"].startswith("http://b.example/f?o=http%3A%2F%2Fcommuns")


async def test_follow_from_a_profile__clear_errors_in_the_page_s_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    bad = await remote_follow(client, "not a handle", **{"Accept-Language": "fr"})
    assert bad.status_code == 422 and "Ce n’est pas une adresse du fédivers" in bad.text
    closed = bound_socket()  # bound, never listening: nobody answers there
    port = closed.getsockname()[1]
    unreachable = await remote_follow(client, f"me@127.0.0.1:{port}")
    closed.close()
    assert unreachable.status_code == 422 and "could not be reached" in unreachable.text
    async with webfinger_server([]) as host:
        none = await remote_follow(client, f"me@{host}")
    assert none.status_code == 422 and "does not offer to follow" in none.text
    assert 'value="me@' in none.text  # the handle typed is kept


async def test_follow_from_a_profile__a_member_follows_as_their_actor_in_one_click(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a signed-in member of another local actor
    await create_actor(app, "coop")
    mine, _ = await create_actor(app, "fan")
    await make_account(app, "fan@example.org", member_of=mine)
    assert (await sign_in(client, "fan@example.org")).status_code == 303
    # When they open the profile, one button follows as their actor (the web app's form)
    page = (await client.get("/@coop", headers=HTML)).text
    form = re.search(
        r'action="(/app/@fan/follows)" class="follow-local">\s*'
        r'<input type="hidden" name="csrf" value="([^"]+)">\s*'
        r'<input type="hidden" name="handle" value="([^"]+)">',
        page,
    )
    assert form, page
    followed = await client.post(
        form.group(1), data={"csrf": form.group(2), "handle": form.group(3), "next": "/@coop"}
    )
    # Then the follow is made, and they are back on the profile
    assert followed.status_code == 303 and followed.headers["location"] == "/@coop"
    assert "<strong>1</strong> follower<" in (await client.get("/@coop", headers=HTML)).text


async def test_call_page__a_member_pledges_others_are_told_how(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an open call
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"])
    path = f"/funding-calls/{call['id']}"
    # A visitor is told to pledge from their own instance, with the call's address
    anonymous = (await client.get(path, headers=HTML)).text
    assert f'value="{call["uri"]}"' in anonymous and "pledge-form" not in anonymous
    # A signed-in member gets the web app's pledge form
    mine, _ = await create_actor(app, "fan")
    await make_account(app, "fan@example.org", member_of=mine)
    await sign_in(client, "fan@example.org")
    page = (await client.get(path, headers=HTML)).text
    csrf = re.search(r'"pledge-form">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    assert csrf and 'action="/app/@fan/pledge"' in page
    pledged = await client.post(
        "/app/@fan/pledge",
        data={
            "csrf": csrf.group(1),
            "funding_call": call["uri"],
            "amount": "120.50",
            "currency": "EUR",
            "sector": "civil_society",
            "next": path,
        },
    )
    assert pledged.status_code == 303, pledged.text
    assert pledged.headers["location"] == path  # back to the call's page
    after = (await client.get(path, headers=HTML)).text
    assert "€120.50 of €50,000.00" in after and "Fan" in after


async def test_call_page__the_call_s_own_members_are_not_offered_to_pledge_as_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a member of the call's actor, who is also a member of another actor
    coop, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    path = f"/funding-calls/{call['id']}"
    ada = await make_account(app, "ada@example.org", member_of=coop)
    await sign_in(client, "ada@example.org")
    # Then the page offers no form to pledge as the call's own actor (which would be refused)
    alone = (await client.get(path, headers=HTML)).text
    assert "pledge-form" not in alone and f'value="{call["uri"]}"' in alone
    assert "Sign in to pledge here" not in alone
    # but a link to record a pledge received outside the fediverse
    assert f'href="/app/@coop/calls/{call["id"]}/pledges"' in alone
    # And it offers the member's other actor
    fan, _ = await create_actor(app, "fan")
    async with app.state.communs.db.session() as session:
        await add_member(session, ada.id, fan.id, Role.editor)
        await session.commit()
    both = (await client.get(path, headers=HTML)).text
    assert 'action="/app/@fan/pledge"' in both and 'action="/app/@coop/pledge"' not in both


async def test_call_page__a_french_member_pledges_with_a_decimal_comma(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an open call, and a signed-in member reading its page in French
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    path = f"/funding-calls/{call['id']}"
    mine, _ = await create_actor(app, "fan")
    await make_account(app, "fan@example.org", member_of=mine)
    await sign_in(client, "fan@example.org")
    page = (await client.get(path, headers=FRENCH)).text
    # The form's example amount is written as French writes it
    assert 'id="pledge-amount"' in page and 'placeholder="100,00"' in page
    csrf = re.search(r'"pledge-form">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    assert csrf
    # When they type "1 200,50" as they would write it
    form = {"csrf": csrf.group(1), "funding_call": call["uri"], "currency": "EUR"}
    pledged = await client.post(
        "/app/@fan/pledge",
        data=form | {"amount": "1 200,50", "sector": "individual", "next": path},
        headers=FRENCH,
    )
    # Then the pledge is 1 200,50 €; an ambiguous "1,200" is refused and changes nothing
    assert pledged.status_code == 303, pledged.text
    assert "1\u202f200,50\xa0€ réunis sur" in (await client.get(path, headers=FRENCH)).text
    refused = await client.post(
        "/app/@fan/pledge",
        data=form | {"amount": "1,200", "sector": "individual", "next": path},
        headers=FRENCH,
    )
    assert refused.status_code == 422
    assert "1\u202f200,50\xa0€ réunis sur" in (await client.get(path, headers=FRENCH)).text


async def test_kept_pages__served_with_the_pages_security_headers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    first = await client.get("/@coop", headers=HTML)
    kept = await client.get("/@coop", headers=HTML)  # from the front door's cache
    assert kept.headers["etag"] == first.headers["etag"]
    for answer in (first, kept):
        policy = answer.headers["content-security-policy"]
        assert "form-action 'self' https:" in policy  # the follow form's redirect
        assert answer.headers["x-frame-options"] == "DENY"
    await client.get("/", headers=HTML)
    home = await client.get("/", headers=HTML)
    assert "form-action 'self';" in home.headers["content-security-policy"]


async def test_profile__an_editor_is_offered_no_follow_it_may_not_make(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Following is the owners' (as in the web app); an editor follows from elsewhere like anyone
    await create_actor(app, "coop")
    mine, _ = await create_actor(app, "fan")
    await make_account(app, "ed@example.org", member_of=mine, role=Role.editor)
    await sign_in(client, "ed@example.org")
    page = (await client.get("/@coop", headers=HTML)).text
    assert "follow-local" not in page and "follow-remote" in page


async def test_errors__an_unexpected_failure_is_a_page_for_browsers(
    database_url: str, tmp_path: Path
) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, drop = await asyncio.to_thread(create_scratch_database, backend, tmp_path)
    try:
        async with running(url) as (app, client):
            # Given a schema broken under the server (a table gone)
            async with app.state.communs.db.engine.begin() as connection:
                await connection.execute(text("DROP TABLE object_tag"))
            # When a browser asks for a page that needs it
            response = await client.get("/?tag=maps", headers=FRENCH)
            # Then it gets a page in its language, without the error's details
            assert response.status_code in (500, 503)
            assert response.headers["content-type"].startswith("text/html")
            assert lang_of(response.text) == "fr" and "object_tag" not in response.text
            assert "Erreur 5" in response.text
    finally:
        await asyncio.to_thread(drop)


async def test_project_page__who_uses_and_serves_it_in_the_page_s_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    path = f"/projects/{project['id']}"
    assert (
        "Used by 0 organisations · 0 service providers"
        in (await client.get(path, headers=HTML)).text
    )
    french = (await client.get(path, headers=FRENCH)).text
    assert "Utilisé par 0 organisation · 0 prestataire" in french and "Qui l’utilise" in french


async def test_favicon__named_by_the_pages_and_the_web_app_and_served(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    icon = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    for path in ("/", "/@nobody", "/signin"):
        assert icon in (await client.get(path, headers=FRENCH)).text, path
    await make_account(app, "ada@example.org")
    await sign_in(client, "ada@example.org")
    assert icon in (await client.get("/app", headers=HTML)).text
    served = await client.get("/static/favicon.svg")
    assert served.status_code == 200 and served.headers["content-type"] == "image/svg+xml"
