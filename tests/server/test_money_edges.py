"""Each hostile amount of issue 17, at each edge that reads money: the JSON API, an Offer on
the inbox, a remote call pushed or looked up, the web app's forms and the pages. One parser
answers them all: a 422 naming the field, a ``Reject`` with the reason, an error next to the
form's field, or nothing stored; never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from schemas.states import ActivityState
from server.storage.models import Activity, Actor, FundingCall, Pledge
from tests.fakeremote import (  # noqa: F401  (fixtures)
    COOP,
    REMOTE,
    RemoteServer,
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)
from tests.publications import call_body, offer_body, pledge_body
from tests.server.test_pledge_offers import answers, offer, open_call, raised
from tests.server.test_remote_objects import call_note, coop_follows_bob, create
from tests.webapp.people import make_account, post_form, sign_in

#: The values the issue found accepted, rounded or crashing, and the limits around them.
HOSTILE = {
    "overflowing-exponent": "9e999999",
    "vanishing-exponent": "1e-999999999",
    "600-zeros": "1." + "0" * 600 + "1",
    "rounded-silently": "1000000000000.000000000000000001",
    "zero": "0.00",
    "negative": "-5.00",
    "above-the-maximum": "10000000000000.01",
}
CASES = pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))


async def count(app: FastAPI, table: Any) -> int:
    async with app.state.communs.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def money(value: str) -> dict[str, str]:
    return {"amount": value, "currency": "EUR"}


@CASES
async def test_api__a_hostile_amount_is_422_naming_the_field_at_every_route(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    # Given coop's open call, and the requests that carry an amount
    auth = await coop_auth(app)
    call = await open_call(app, client)
    before = (await count(app, FundingCall), await count(app, Pledge), await count(app, Activity))
    requests = [
        ("POST", "/api/v1/funding-calls", call_body(goal=money(value)), "goal"),
        ("PATCH", f"/api/v1/funding-calls/{call['id']}", {"goal": money(value)}, "goal"),
        (
            "POST",
            f"/api/v1/funding-calls/{call['id']}/pledges",
            pledge_body(money(value)),
            "amount",
        ),
        ("POST", "/api/v1/pledges", offer_body(call["uri"], value), "amount"),
    ]
    for method, path, body, field in requests:
        # When the amount is sent
        response = await client.request(method, path, json=body, headers=auth)
        # Then it is a 422 whose error names the field
        assert response.status_code == 422, (path, response.text)
        [error] = response.json()["detail"]
        assert error["loc"][:2] == ["body", field], (path, error)
    # And nothing was written or sent
    after = (await count(app, FundingCall), await count(app, Pledge), await count(app, Activity))
    assert after == before
    assert await raised(client, call) == "0.00"


@CASES
async def test_inbox__an_offer_of_a_hostile_amount_gets_a_reject_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    # Given coop's open call
    call = await open_call(app, client)
    # When bob offers a pledge of that amount
    await deliver_and_process(app, client, offer(call["uri"], value=value), "/actors/coop/inbox")
    # Then the Offer was processed (not errored) and answered with a Reject giving the reason
    async with app.state.communs.db.session() as session:
        states = (
            await session.execute(select(Activity.state).where(Activity.type == "Offer"))
        ).all()
    assert [state for (state,) in states] == [ActivityState.processed]
    [reject] = await answers(app)
    assert reject["type"] == "Reject"
    assert any(
        word in reject["content"]
        for word in ("decimal", "greater than zero", "maximum", "an amount")
    ), reject["content"]
    # And nothing is counted
    assert await raised(client, call) == "0.00"


#: A total raised may be zero, and above one amount's maximum: the rest is hostile there too.
TOTALS = {k: v for k, v in HOSTILE.items() if k not in ("zero", "above-the-maximum")}


@pytest.mark.parametrize(
    ("term", "value"),
    [pytest.param("goal", v, id=f"goal-{k}") for k, v in HOSTILE.items()]
    + [pytest.param("raised", v, id=f"raised-{k}") for k, v in TOTALS.items()],
)
async def test_inbox__a_remote_call_of_a_hostile_amount_is_not_stored(
    app: FastAPI, client: httpx.AsyncClient, term: str, value: str
) -> None:
    # Given coop follows bob
    await coop_follows_bob(app, client)
    # When bob pushes a call whose goal, or total raised, is that amount
    amount = {"type": "MonetaryAmount", "currency": "EUR", "value": value}
    await deliver_and_process(app, client, create(call_note(**{term: amount})))
    # Then it is not stored, and processing did not fail
    assert await count(app, FundingCall) == 0
    async with app.state.communs.db.session() as session:
        state = await session.scalar(select(Activity.state).where(Activity.type == "Create"))
    assert state == ActivityState.ignored
    # And the home page, which lists remote calls, is still a page
    assert (await client.get("/", headers={"Accept": "text/html"})).status_code == 200


@CASES
async def test_lookup__a_remote_call_of_a_hostile_goal_is_a_4xx_and_not_stored(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer, value: str
) -> None:
    # Given a remote call whose goal is that amount
    uri = f"{REMOTE}/funding-calls/1"
    goal = {"type": "MonetaryAmount", "currency": "EUR", "value": value}
    remote.documents[uri] = json.dumps(call_note(goal=goal)).encode()
    # When coop looks it up
    response = await client.get(
        "/api/v1/lookup", params={"q": uri}, headers=await coop_auth(app, "read")
    )
    # Then the answer is a 4xx that says why, and nothing is stored
    assert response.status_code == 404, response.text
    assert "not a usable Communs object" in response.json()["detail"]
    assert await count(app, FundingCall) == 0


async def test_pages__the_largest_amounts_render(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given a call of the largest goal, with the largest pledge
    auth = await coop_auth(app)
    largest = "10000000000000.00"
    made = await client.post(
        "/api/v1/funding-calls", json=call_body(goal=money(largest)), headers=auth
    )
    assert made.status_code == 201, made.text
    call = made.json()
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    pledged = await client.post(path, json=pledge_body(money(largest)), headers=auth)
    assert pledged.status_code == 201, pledged.text
    # When its page, the home page and its Note are read
    page = await client.get(call["url"], headers={"Accept": "text/html"})
    home = await client.get("/", headers={"Accept": "text/html"})
    note = await client.get(call["url"], headers={"Accept": "application/activity+json"})
    # Then each shows the amounts exactly
    assert page.status_code == home.status_code == note.status_code == 200
    assert "€10,000,000,000,000.00" in page.text
    assert note.json()["raised"]["value"] == largest == note.json()["goal"]["value"]


@CASES
async def test_web_app__a_hostile_amount_is_an_error_next_to_its_field(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    # Given ada, a member of coop signed in to the web app, and coop's open call
    async with app.state.communs.db.session() as session:
        coop = (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()
    await make_account(app, "ada@example.org", member_of=coop)
    await sign_in(client, "ada@example.org")
    call = await open_call(app, client)
    before = (await count(app, FundingCall), await count(app, Pledge), await count(app, Activity))
    new_call, pledges = "/app/@coop/calls/new", f"/app/@coop/calls/{call['id']}/pledges"
    forms = [
        (new_call, {"title": "Upkeep", "goal": value, "currency": "EUR", "deadline": "2099-01-01"}),
        (
            pledges,
            {"funder_name": "Région", "amount": value, "currency": "EUR", "sector": "public"},
        ),
    ]
    for page, fields in forms:
        # When the amount is posted through the form
        answer = await post_form(client, page, page, fields)
        # Then the form comes back with an error next to that field
        assert answer.status_code == 422, (page, answer.text[:200])
        field = "goal" if "goal" in fields else "amount"
        assert f'id="{field}-error"' in answer.text, page
    # And nothing was written or sent
    after = (await count(app, FundingCall), await count(app, Pledge), await count(app, Activity))
    assert after == before
