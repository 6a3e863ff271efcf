"""The dashboard's forms: errors next to their field with nothing written, previews, and the
same services as the JSON API behind them."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.publications import post_call, post_project
from tests.webapp.people import csrf_in, make_account, post_form, sign_in


async def _owner(app: FastAPI, client: httpx.AsyncClient, **fields: object):  # type: ignore[no-untyped-def]
    actor, token = await create_actor(app, "coop", **fields)
    await make_account(app, "ada@example.org", member_of=actor)
    await sign_in(client, "ada@example.org")
    return actor, token


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)</p>', html)
    assert found, f"no error next to {name}"
    return found.group(1)


async def test_project_form__errors_show_next_to_their_field_and_nothing_is_written(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client)
    page = "/app/@coop/projects/new"
    empty = await post_form(client, page, page, {"name": "", "repository_url": "not a url"})
    assert empty.status_code == 422
    assert _field_error(empty.text, "name") == "This field is required."
    assert _field_error(empty.text, "repository_url") == "This is not a valid web address."
    licence = await post_form(client, page, page, {"name": "Map", "license": "Nonsense-1.0"})
    assert licence.status_code == 422
    assert "not an SPDX licence identifier" in _field_error(licence.text, "license")
    assert 'value="Map"' in licence.text
    assert (await client.get("/api/v1/projects?actor=coop")).json()["items"] == []


async def test_project_form__preview_shows_the_note_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client)
    page = "/app/@coop/projects/new"
    fields = {"name": "Repair map", "license": "MIT", "tags": "maps, repair", "preview": "1"}
    preview = await post_form(client, page, page, fields)
    assert preview.status_code == 200
    assert "Preview of the post on Mastodon" in preview.text
    assert "<strong>Repair map</strong>" in preview.text and "?tag=maps" in preview.text
    assert (await client.get("/api/v1/projects?actor=coop")).json()["items"] == []


async def test_project_form__publish_edit_delete(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _owner(app, client)
    page = "/app/@coop/projects/new"
    assert (
        await post_form(client, page, page, {"name": "Map", "license": "MIT"})
    ).status_code == 303
    project = (await client.get("/api/v1/projects?actor=coop")).json()["items"][0]
    edit = f"/app/@coop/projects/{project['id']}/edit"
    saved = await post_form(client, edit, edit, {"name": "Map 2", "license": "MIT"})
    assert saved.status_code == 303
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["name"] == "Map 2"
    deleted = await post_form(client, edit, f"/app/@coop/projects/{project['id']}/delete", {})
    assert deleted.status_code == 303
    assert (await client.get(f"/api/v1/projects/{project['id']}")).status_code == 410


async def test_call_form__open_a_call_then_record_a_pledge(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client)
    page = "/app/@coop/calls/new"
    fields = {"title": "A year of upkeep", "goal": "1000.00", "currency": "EUR"}
    bad = await post_form(client, page, page, fields | {"deadline": "2000-01-01", "goal": "1.234"})
    assert bad.status_code == 422
    assert "goal" in bad.text and "field-error" in bad.text
    assert (await client.get("/api/v1/funding-calls?actor=coop")).json()["items"] == []

    opened = await post_form(client, page, page, fields | {"deadline": "2099-01-01"})
    assert opened.status_code == 303
    call = (await client.get("/api/v1/funding-calls?actor=coop")).json()["items"][0]
    pledges = f"/app/@coop/calls/{call['id']}/pledges"
    missing = await post_form(
        client, pledges, pledges, {"amount": "250", "currency": "EUR", "sector": "public"}
    )
    assert missing.status_code == 422
    recorded = await post_form(
        client,
        pledges,
        pledges,
        {"funder_name": "Région", "amount": "250", "currency": "EUR", "sector": "public"},
    )
    assert recorded.status_code == 303
    after = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert after["raised"] == {"amount": "250.00", "currency": "EUR"}


async def test_follows__accept_a_request_from_the_list(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client, manually_approves_followers=True)
    _, other_token = await create_actor(app, "fan")
    asked = await client.post(
        "/api/v1/follows",
        json={"target": "coop@communs.test"},
        headers={"Authorization": f"Bearer {other_token}"},
    )
    assert asked.json()["state"] == "pending"
    page = await client.get("/app/@coop/follows")
    action = re.search(r'action="(/app/@coop/requests/\d+/accept)"', page.text)
    assert action
    accepted = await client.post(action.group(1), data={"csrf": csrf_in(page.text)})
    assert accepted.status_code == 303
    assert "No request waiting." in (await client.get("/app/@coop/follows")).text


async def test_profile_and_tokens__edit_then_use_a_new_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client)
    bad = await post_form(
        client, "/app/@coop/profile", "/app/@coop/profile", {"name": "", "siren": "12"}
    )
    assert bad.status_code == 422 and _field_error(bad.text, "siren")
    saved = await post_form(
        client,
        "/app/@coop/profile",
        "/app/@coop/profile",
        {"name": "La Coop", "kind": "cooperative", "language": "fr"},
    )
    assert saved.status_code == 303
    assert (await client.get("/api/v1/actors/coop")).json()["name"] == "La Coop"

    created = await post_form(
        client,
        "/app/@coop/tokens",
        "/app/@coop/tokens",
        {"name": "script", "scope_read": "true", "scope_write": "true"},
    )
    token = re.search(r'id="new-token">([^<]+)<', created.text)
    assert token
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    posted = await client.post("/api/v1/projects", json={"name": "By token"}, headers=headers)
    assert posted.status_code == 201
    revoke = re.search(r'action="(/app/@coop/tokens/\d+/revoke)"', created.text)
    assert revoke
    await client.post(revoke.group(1), data={"csrf": csrf_in(created.text)})
    refused = await client.post("/api/v1/projects", json={"name": "Again"}, headers=headers)
    assert refused.status_code == 401


async def test_admin__blocks_a_domain_and_others_may_not(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_account(app, "root@example.org", admin=True)
    await make_account(app, "ada@example.org")
    await sign_in(client, "ada@example.org")
    assert (await client.get("/admin")).status_code == 403
    await post_form(client, "/app", "/signout", {})
    await sign_in(client, "root@example.org")
    bad = await post_form(
        client, "/admin", "/admin/domains", {"domain": "not a host!", "block": "reject"}
    )
    assert bad.status_code == 422 and _field_error(bad.text, "domain")
    blocked = await post_form(
        client, "/admin", "/admin/domains", {"domain": "spam.example", "block": "reject"}
    )
    assert blocked.status_code == 303
    assert "spam.example — blocked" in (await client.get("/admin")).text


async def test_pages__french_from_the_browser_or_the_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    english = await client.get("/signin")
    french = await client.get("/signin", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert '<html lang="fr">' in french.text and "Se connecter" in french.text


async def test_pages__the_account_s_language_wins_over_the_browser(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_account(app, "ada@example.org")
    await sign_in(client, "ada@example.org")
    await post_form(client, "/account", "/account/language", {"language": "fr"})
    page = await client.get("/account", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in page.text and "Mon compte" in page.text


async def test_dashboard_and_admin__statuses_in_the_page_s_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an admin who owns an actor with a project and an open call, and a blocked domain
    actor, token = await create_actor(app, "coop")
    await make_account(app, "root@example.org", admin=True, member_of=actor)
    await sign_in(client, "root@example.org")
    project = await post_project(client, token)
    await post_call(client, token, project_id=project["id"])
    await post_form(
        client, "/admin", "/admin/domains", {"domain": "spam.example", "block": "reject"}
    )
    await post_form(client, "/account", "/account/language", {"language": "fr"})

    # Then the French dashboard and administration say each status in French
    dashboard = (await client.get("/app/@coop")).text
    assert "<td>actif</td>" in dashboard and "<td>ouvert</td>" in dashboard
    admin = (await client.get("/admin")).text
    assert "spam.example — bloqué" in admin and "<td>actif</td>" in admin
    assert "sur invitation. Modifiez COMMUNS_REGISTRATIONS" in admin


async def test_admin__suspends_an_actor_and_lifts_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    await make_account(app, "root@example.org", admin=True)
    await sign_in(client, "root@example.org")
    page = await client.get("/admin")
    await client.post("/admin/actors/coop/suspend", data={"csrf": csrf_in(page.text)})
    assert (await client.get("/api/v1/directory?type=actor")).json()["items"] == []
    assert "Lift the suspension" in (await client.get("/admin")).text
    await client.post("/admin/actors/coop/unsuspend", data={"csrf": csrf_in(page.text)})
    assert len((await client.get("/api/v1/directory?type=actor")).json()["items"]) == 1


async def test_forms__a_services_refusal_is_shown_in_the_members_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _owner(app, client)
    client.headers["Accept-Language"] = "fr"
    page = "/app/@coop/projects/new"
    licence = await post_form(client, page, page, {"name": "Carte", "license": "GPL"})
    assert licence.status_code == 422
    assert _field_error(licence.text, "license") == (
        "GPL : vouliez-vous dire GPL-3.0-only ou GPL-3.0-or-later ?"
    )
    calls = "/app/@coop/calls/new"
    fields = {"title": "Un an", "goal": "1000.00", "currency": "EUR", "deadline": "2000-01-01"}
    past = await post_form(client, calls, calls, fields)
    assert past.status_code == 422
    assert _field_error(past.text, "deadline").startswith("2000-01-01 est passé (nous sommes le ")
