"""Funding calls through the JSON API: money as strings and integers, status, Notes, lists."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update
from sqlmodel import col

from server.storage.models import Activity, FundingCall
from tests.conftest import create_actor
from tests.publications import (
    AS2_ACCEPT,
    PUBLIC,
    bearer,
    call_body,
    in_days,
    pledge_body,
    post_call,
    post_project,
    sent,
    today,
)


async def count(app: FastAPI, model: type) -> int:
    async with app.state.communs.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def move_deadline(app: FastAPI, call_id: str, days: int) -> None:
    """Put a call's deadline ``days`` from today, bypassing the API (time passing)."""
    async with app.state.communs.db.session() as session:
        await session.execute(
            update(FundingCall)
            .where(col(FundingCall.id) == call_id)
            .values(deadline=today() + timedelta(days=days))
        )
        await session.commit()


async def test_post_funding_call__201_with_money_as_strings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with a project
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    # When it opens a funding call for it
    response = await client.post(
        "/api/v1/funding-calls",
        json=call_body(project_id=project["id"]),
        headers=bearer(token),
    )
    # Then the call is open, with money as decimal strings
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["uri"] == f"http://communs.test/funding-calls/{call['id']}" == call["url"]
    assert call["status"] == "open" and call["project_uri"] == project["uri"]
    assert call["goal"] == {"amount": "50000.00", "currency": "EUR"}
    assert call["raised"] == {"amount": "0.00", "currency": "EUR"}
    assert call["raised_by_sector"] == {
        "public": "0.00",
        "private": "0.00",
        "civil_society": "0.00",
        "individual": "0.00",
    }
    assert call["tags"] == ["cloud", "commons"] and call["progress_percent"] == 0
    # And the database holds integer minor units, never floats
    async with app.state.communs.db.session() as session:
        goal, raised = (
            await session.execute(
                text("SELECT goal_minor, raised_minor FROM funding_call WHERE id = :id"),
                {"id": call["id"]},
            )
        ).one()
    assert (goal, raised) == (5_000_000, 0)
    assert type(goal) is int and type(raised) is int
    # And followers get a Create{Note}
    [create] = await sent(app, call["uri"])
    assert create["type"] == "Create" and create["object"]["objectType"] == "FundingCall"


async def test_post_funding_call__currency_precision(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    yen = await post_call(client, token, goal={"amount": "1500000", "currency": "jpy"})
    assert yen["goal"] == {"amount": "1500000", "currency": "JPY"}
    dinar = await post_call(client, token, goal={"amount": "10.125", "currency": "BHD"})
    assert dinar["goal"] == {"amount": "10.125", "currency": "BHD"}
    async with app.state.communs.db.session() as session:
        stored = await session.get(FundingCall, dinar["id"])
    assert stored is not None and stored.goal_minor == 10_125


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"goal": {"amount": "100", "currency": "XYZ"}}, "unknown currency 'XYZ'"),
        ({"goal": {"amount": "100", "currency": "EURO"}}, "ISO 4217"),
        ({"goal": {"amount": "0", "currency": "EUR"}}, "greater than zero"),
        ({"goal": {"amount": "-10.00", "currency": "EUR"}}, "greater than zero"),
        ({"goal": {"amount": "10.001", "currency": "EUR"}}, "at most 2 decimal places"),
        ({"goal": {"amount": "10.5", "currency": "JPY"}}, "no decimals"),
        ({"goal": {"amount": 50000.0, "currency": "EUR"}}, "not a JSON number"),
        ({"goal": {"amount": 50000, "currency": "EUR"}}, "not a JSON number"),
        ({"goal": {"amount": "1e5", "currency": "EUR"}}, "no sign, exponent or spaces"),
        ({"goal": {"amount": "9999999999999999", "currency": "EUR"}}, "above the maximum"),
        ({"deadline": "2001-01-01"}, "in the past"),
        ({"deadline": "tomorrow"}, "deadline"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": "x" * 501}, "summary"),
        ({"project_id": "nope"}, "no project 'nope'"),
    ],
)
async def test_post_funding_call__invalid_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, object], needle: str
) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post(
        "/api/v1/funding-calls", json=call_body(**fields), headers=bearer(token)
    )
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert await count(app, FundingCall) == 0 and await count(app, Activity) == 0


async def test_post_funding_call__another_actors_project_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    project = await post_project(client, alice)
    response = await client.post(
        "/api/v1/funding-calls", json=call_body(project_id=project["id"]), headers=bearer(bob)
    )
    assert response.status_code == 422 and "belongs to another actor" in response.text


async def test_post_funding_call__deadline_today_is_allowed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token, deadline=in_days(0))
    assert call["status"] == "open"


async def test_post_funding_call__idempotency_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given a call created with an Idempotency-Key
    _, token = await create_actor(app, "coop")
    first = await client.post("/api/v1/funding-calls", json=call_body(), headers=bearer(token, "c"))
    # When the request is retried
    retry = await client.post("/api/v1/funding-calls", json=call_body(), headers=bearer(token, "c"))
    # Then the same status and body come back, and one call and one Create exist
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert await count(app, FundingCall) == 1 and await count(app, Activity) == 1


async def test_funding_call__deadline_passed_shows_closed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an open call
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    # When its deadline passes (no write happens)
    await move_deadline(app, call["id"], -1)
    # Then the API, the Note and the list filters all see it closed
    assert (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()["status"] == "closed"
    note = (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).json()
    assert note["status"] == "closed" and "Status: closed" in note["content"]
    closed = (await client.get("/api/v1/funding-calls?status=closed")).json()["items"]
    assert [c["id"] for c in closed] == [call["id"]]
    assert (await client.get("/api/v1/funding-calls?status=open")).json()["items"] == []
    # And it takes no pledge
    response = await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body(), headers=bearer(token)
    )
    assert response.status_code == 409 and "closed" in response.text
    # And moving the deadline into the past through the API is refused
    past = await client.patch(
        f"/api/v1/funding-calls/{call['id']}",
        json={"deadline": "2001-01-01"},
        headers=bearer(token),
    )
    assert past.status_code == 422
    # But extending it reopens the call
    reopened = await client.patch(
        f"/api/v1/funding-calls/{call['id']}", json={"deadline": in_days(30)}, headers=bearer(token)
    )
    assert reopened.json()["status"] == "open"


async def test_patch_funding_call__cancel_and_status_rules(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    path = f"/api/v1/funding-calls/{call['id']}"
    funded = await client.patch(path, json={"status": "funded"}, headers=bearer(token))
    assert funded.status_code == 422 and "cancelled" in funded.text
    cancelled = await client.patch(path, json={"status": "cancelled"}, headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    note = (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).json()
    assert note["status"] == "cancelled"
    refused = await client.post(f"{path}/pledges", json=pledge_body(), headers=bearer(token))
    assert refused.status_code == 409 and "cancelled" in refused.text
    listed = (await client.get("/api/v1/funding-calls?status=cancelled")).json()["items"]
    assert [c["id"] for c in listed] == [call["id"]]


async def test_patch_funding_call__changes_and_publishes_updates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call and a project of the same actor
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    project = await post_project(client, token)
    path = f"/api/v1/funding-calls/{call['id']}"
    # When its goal, project, title and tags change
    response = await client.patch(
        path,
        json={
            "goal": {"amount": "60000", "currency": "USD"},
            "project_id": project["id"],
            "title": "New title",
            "tags": ["new"],
        },
        headers=bearer(token),
    )
    # Then the API shows the change and followers get an Update with a later `updated`
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["goal"] == {"amount": "60000.00", "currency": "USD"}
    assert body["project_id"] == project["id"] and body["tags"] == ["new"]
    create, update_ = await sent(app, call["uri"])
    assert update_["type"] == "Update" and update_["object"]["name"] == "New title"
    assert update_["object"]["updated"] > create["object"]["published"]
    assert update_["object"]["project"] == project["uri"]
    # And the project can be detached again, nulls of required fields are refused
    detached = await client.patch(path, json={"project_id": None}, headers=bearer(token))
    assert detached.json()["project_id"] is None
    null = await client.patch(path, json={"title": None}, headers=bearer(token))
    assert null.status_code == 422


async def test_patch_funding_call__only_the_owner_or_an_admin(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    call = await post_call(client, alice)
    path = f"/api/v1/funding-calls/{call['id']}"
    assert (await client.patch(path, json={"title": "x"}, headers=bearer(bob))).status_code == 403
    ok = await client.patch(path, json={"title": "By admin"}, headers=bearer(admin_token))
    assert ok.status_code == 200


async def test_delete_funding_call__410_tombstone_and_delete(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with a pledge
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body(), headers=bearer(token)
    )
    # When it is deleted
    response = await client.delete(f"/api/v1/funding-calls/{call['id']}", headers=bearer(token))
    assert response.status_code == 204
    # Then the API answers 410 and the object URL a 410 Tombstone
    assert (await client.get(f"/api/v1/funding-calls/{call['id']}")).status_code == 410
    assert (await client.get(f"/api/v1/funding-calls/{call['id']}/pledges")).status_code == 410
    gone = await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    # And followers get Delete{Tombstone}, to the same audience
    delete = (await sent(app, call["uri"]))[-1]
    assert delete["type"] == "Delete" and delete["object"] == {
        "id": call["uri"],
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": delete["object"]["deleted"],
    }
    assert delete["to"] == [PUBLIC]
    assert (await client.get("/api/v1/funding-calls")).json()["items"] == []


async def test_funding_call_note__complete_content_and_structured_terms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call for a project, with pledges from two sectors
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"], deadline="2099-03-01")
    for amount, sector in (("10000", "public"), ("2500.00", "private")):
        await client.post(
            f"/api/v1/funding-calls/{call['id']}/pledges",
            json=pledge_body(amount, sector=sector),
            headers=bearer(token),
        )
    # When a peer fetches the Note
    response = await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)
    note = response.json()
    # Then it follows Mastodon's rules
    assert response.headers["content-type"].startswith("application/activity+json")
    assert note["type"] == "Note" and "summary" not in note
    assert note["id"] == call["uri"] and "#" not in note["id"]
    assert note["attributedTo"] == "http://communs.test/actors/coop"
    assert note["to"] == [PUBLIC] and note["cc"] == ["http://communs.test/actors/coop/followers"]
    assert note["url"] == call["url"]
    assert [t["name"] for t in note["tag"]] == ["#cloud", "#commons"]
    # And its content is complete on its own: title, summary, figures, deadline, links, tags
    content = note["content"]
    for needle in (
        "Co-fund Commons Cloud",
        "Two developers for a year.",
        "<strong>you</strong>",
        "€12,500.00 of €50,000.00 raised (25%)",
        "Public sector: €10,000.00",
        "Private sector: €2,500.00",
        "Deadline: 1 March 2099",
        f'href="{project["url"]}"',
        f'href="{call["url"]}"',
        'class="mention hashtag" rel="tag">#<span>cloud</span></a>',
    ):
        assert needle in content, needle
    # And the structured terms carry the same data, money as decimal strings
    assert note["objectType"] == "FundingCall" and note["status"] == "open"
    assert note["goal"] == {"type": "MonetaryAmount", "value": "50000.00", "currency": "EUR"}
    assert note["raised"] == {"type": "MonetaryAmount", "value": "12500.00", "currency": "EUR"}
    assert note["raisedBySector"]["public"]["value"] == "10000.00"
    assert note["raisedBySector"]["individual"]["value"] == "0.00"
    assert note["endTime"] == "2099-03-01T23:59:59Z" and note["project"] == project["uri"]
    assert {"communs", "goal", "raisedBySector"} <= set(note["@context"][1])


async def test_list_funding_calls__filters_cursor_and_etag(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given calls of two actors in two currencies
    _, alice = await create_actor(app, "alice")
    _, bob = await create_actor(app, "bob")
    project = await post_project(client, alice)
    first = await post_call(client, alice, title="Servers", project_id=project["id"])
    second = await post_call(
        client, alice, title="Maps", tags=["geo"], goal={"amount": "10", "currency": "USD"}
    )
    third = await post_call(client, bob, title="Wiki", summary="Knowledge")

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/v1/funding-calls?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # Then filters narrow the list, newest first
    assert await ids("") == [third["id"], second["id"], first["id"]]
    assert await ids("actor=alice") == [second["id"], first["id"]]
    assert await ids("tag=geo") == [second["id"]]
    assert await ids("currency=usd") == [second["id"]]
    assert await ids("q=knowledge") == [third["id"]]
    assert await ids(f"project_id={project['id']}") == [first["id"]]
    assert await ids("status=open") == [third["id"], second["id"], first["id"]]
    assert await ids("status=funded") == []
    assert (await client.get("/api/v1/funding-calls?status=nope")).status_code == 422
    # And the cursor walks through them
    page = (await client.get("/api/v1/funding-calls?limit=2")).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (await client.get(f"/api/v1/funding-calls?limit=2&cursor={page['next_cursor']}")).json()
    assert [c["id"] for c in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    # And reads carry ETags
    listed = await client.get("/api/v1/funding-calls")
    again = await client.get(
        "/api/v1/funding-calls", headers={"If-None-Match": listed.headers["etag"]}
    )
    assert again.status_code == 304
    one = await client.get(f"/api/v1/funding-calls/{first['id']}")
    cached = await client.get(
        f"/api/v1/funding-calls/{first['id']}", headers={"If-None-Match": one.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_close_expired_calls__stores_closed_and_sends_one_update(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from server.domain.funding import close_expired_calls

    # Given an expired call and an open one
    _, token = await create_actor(app, "coop")
    expired = await post_call(client, token, title="Expired")
    await post_call(client, token, title="Open")
    await move_deadline(app, expired["id"], -2)
    state = app.state.communs
    # When the expiry sweep runs (twice: it is idempotent)
    async with state.db.session() as session:
        assert await close_expired_calls(session, state.urls, today=today()) == 1
        await session.commit()
        assert await close_expired_calls(session, state.urls, today=today()) == 0
    # Then the expired call is stored closed and its followers got one Update saying so
    async with state.db.session() as session:
        stored = await session.get(FundingCall, expired["id"])
    assert stored is not None and stored.status == "closed"
    update_ = (await sent(app, expired["uri"]))[-1]
    assert update_["type"] == "Update" and update_["object"]["status"] == "closed"


async def test_funding_call_note__written_in_a_french_actors_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a French-speaking actor's call and its project, with a public pledge
    _, token = await create_actor(app, "scop", language="fr")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"], deadline="2099-03-01")
    await client.post(
        f"/api/v1/funding-calls/{call['id']}/pledges",
        json=pledge_body("12500", sector="public"),
        headers=bearer(token),
    )
    # When a peer fetches the Note of the call, and of the project
    note = (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).json()
    project_note = (await client.get(f"/projects/{project['id']}", headers=AS2_ACCEPT)).json()
    # Then the call's text is French, with French numbers and dates, tagged "fr"
    content = note["content"]
    assert note["contentMap"] == {"fr": content}
    for needle in (
        "Objectif : 50\u202f000,00\xa0€ · Échéance : 1 mars 2099 · Statut : ouvert",
        "12\u202f500,00\xa0€ collectés sur 50\u202f000,00\xa0€ (25\xa0%)",
        "Secteur public : 12\u202f500,00\xa0€",
        "Particuliers : 0,00\xa0€",
        "Projet : <a ",
    ):
        assert needle in content, needle
    assert "Goal" not in content and "raised" not in content
    # And so is the project's, while the structured terms stay language-free
    assert project_note["contentMap"] == {"fr": project_note["content"]}
    assert "Statut : actif" in project_note["content"]
    assert note["status"] == "open" and note["raised"]["value"] == "12500.00"


async def test_funding_call_note__an_unsupported_language_is_written_and_tagged_english(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor whose language we have no catalog for
    _, token = await create_actor(app, "verein", language="de")
    call = await post_call(client, token, deadline="2099-03-01")
    # When its Note is read
    note = (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).json()
    # Then it is English, and says so
    assert note["contentMap"] == {"en": note["content"]}
    assert "Goal: €50,000.00 · Deadline: 1 March 2099 · Status: open" in note["content"]
