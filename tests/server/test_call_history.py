"""A call's history: every change to its figures or status, who made it and when; append-only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from server.domain.funding import close_expired_calls
from server.storage.models import FundingCall, FundingCallEvent
from tests.conftest import create_actor
from tests.publications import bearer, offer_body, pledge_body, post_call, today
from tests.server.test_funding import move_deadline


async def history(client: httpx.AsyncClient, call_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/funding-calls/{call_id}/history", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_history__every_change_with_who_when_and_the_figures_after_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call of 100.00 EUR, and region
    coop, owner = await create_actor(app, "coop")
    region, token = await create_actor(app, "region")
    call = await post_call(client, owner, goal={"amount": "100.00", "currency": "EUR"})
    calls = f"/api/v1/funding-calls/{call['id']}"
    # When region pledges 60.00, coop records 50.00 for a region outside the fediverse, region
    # withdraws its pledge, coop retitles the call, raises its goal, then cancels it
    mine = await client.post(
        "/api/v1/pledges", json=offer_body(call["uri"], "60"), headers=bearer(token)
    )
    recorded = await client.post(f"{calls}/pledges", json=pledge_body("50"), headers=bearer(owner))
    await client.delete(f"/api/v1/pledges/{mine.json()['id']}", headers=bearer(token))
    await client.patch(calls, json={"title": "A new title"}, headers=bearer(owner))
    goal = {"amount": "200.00", "currency": "EUR"}
    await client.patch(calls, json={"goal": goal}, headers=bearer(owner))
    await client.patch(calls, json={"status": "cancelled"}, headers=bearer(owner))

    # Then the history lists each change to the figures or the status, newest first, with
    # who made it, the pledge and its amount, and the figures right after it
    items = (await history(client, call["id"]))["items"]
    rows = [
        (
            e["kind"],
            e["actor"],
            e["amount"]["amount"] if e["amount"] else None,
            e["raised"]["amount"],
            e["goal"]["amount"],
            e["status"],
        )
        for e in reversed(items)
    ]
    assert rows == [
        ("created", coop.uri, None, "0.00", "100.00", "open"),
        ("pledged", region.uri, "60.00", "60.00", "100.00", "open"),
        ("pledged", coop.uri, "50.00", "110.00", "100.00", "funded"),
        ("withdrawn", region.uri, "60.00", "50.00", "100.00", "open"),
        ("edited", coop.uri, None, "50.00", "200.00", "open"),
        ("cancelled", coop.uri, None, "50.00", "200.00", "cancelled"),
    ]
    assert items[3]["pledge"] == recorded.json()["uri"]
    assert [e["at"] for e in reversed(items)] == sorted(e["at"] for e in items)
    # And the last row's figures are the call's
    read = (await client.get(calls)).json()
    assert (read["raised"], read["goal"], read["status"]) == (
        items[0]["raised"],
        items[0]["goal"],
        items[0]["status"],
    )


async def test_history__paged_with_a_cursor_and_an_etag(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with three pledges (four rows with its creation)
    _, owner = await create_actor(app, "coop")
    call = await post_call(client, owner)
    for amount in ("1", "2", "3"):
        path = f"/api/v1/funding-calls/{call['id']}/pledges"
        await client.post(path, json=pledge_body(amount), headers=bearer(owner))
    # When it is read three rows at a time
    first = await history(client, call["id"], limit=3)
    rest = await history(client, call["id"], limit=3, cursor=first["next_cursor"])
    # Then every row comes once, newest first
    amounts = [e["raised"]["amount"] for e in first["items"] + rest["items"]]
    assert amounts == ["6.00", "3.00", "1.00", "0.00"] and rest["next_cursor"] is None
    # And a cursor that is not one gives an empty page, a matching ETag a 304
    assert (await history(client, call["id"], cursor="x'; --"))["items"] == []
    path = f"/api/v1/funding-calls/{call['id']}/history"
    etag = (await client.get(path)).headers["etag"]
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304


async def test_history__a_deadline_passing_is_recorded_by_the_instance(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call whose deadline passed
    _, owner = await create_actor(app, "coop")
    call = await post_call(client, owner)
    await move_deadline(app, call["id"], -1)
    # When the chore closes it
    state = app.state.communs
    async with state.db.session() as session:
        assert await close_expired_calls(session, state.urls, today=today()) == 1
        await session.commit()
    # Then the history says so, made by no actor
    [closed, _] = (await history(client, call["id"]))["items"]
    assert (closed["kind"], closed["actor"], closed["status"]) == ("closed", None, "closed")


async def test_history__rows_are_never_edited_nor_deleted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with its history
    _, owner = await create_actor(app, "coop")
    call = await post_call(client, owner)
    path = f"/api/v1/funding-calls/{call['id']}/history"
    # When anyone tries to change it through the API, then the API offers no way
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert (await client.request(method, path, headers=bearer(owner))).status_code == 405
    # And the database itself refuses to edit or delete a row, even to its own connection
    changes = [
        update(FundingCallEvent).values(raised_minor=10**9),
        delete(FundingCallEvent),
        text("DELETE FROM funding_call_event WHERE funding_call_id = :id").bindparams(
            id=call["id"]
        ),
    ]
    for change in changes:
        async with app.state.communs.db.session() as session:
            with pytest.raises(DBAPIError, match="never changed nor deleted"):
                await session.execute(change)
    # And deleting the call keeps its history readable
    await client.delete(f"/api/v1/funding-calls/{call['id']}", headers=bearer(owner))
    assert [e["kind"] for e in (await history(client, call["id"]))["items"]] == ["created"]
    async with app.state.communs.db.session() as session:
        assert (await session.get(FundingCall, call["id"])) is not None


async def test_call_page__shows_the_history(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given a call with a pledge of an offline funder
    _, owner = await create_actor(app, "coop", name="La Coop")
    call = await post_call(client, owner)
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    await client.post(path, json=pledge_body("10"), headers=bearer(owner))
    # When its page is read
    page = (await client.get(call["url"], headers={"Accept": "text/html"})).text
    # Then its History section lists the pledge, who recorded it, and the call's creation
    section = page.split('id="history-title"')[1].split("</section>")[0]
    [pledged, created] = section.split('<li class="event')[1:]
    assert "Pledge" in pledged and "€10.00" in pledged and "Région Auvergne" in pledged
    assert "recorded by the call's owner" in pledged and "by La Coop" in pledged
    assert "Call opened" in created and "by La Coop" in created and " UTC" in created
