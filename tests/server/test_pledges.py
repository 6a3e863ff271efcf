"""Pledges recorded locally: who may record them, validation, progress recomputed, Updates."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update

from schemas.states import PledgeState
from server.clock import FrozenClock
from server.main import create_app
from server.settings import Settings
from server.storage.models import Pledge
from tests.conftest import TEST_BASE_URL, create_actor
from tests.publications import AS2_ACCEPT, bearer, offer_body, pledge_body, post_call, sent


async def pledge(
    client: httpx.AsyncClient, token: str, call_id: str, **body: object
) -> httpx.Response:
    return await client.post(
        f"/api/v1/funding-calls/{call_id}/pledges",
        json=pledge_body(**body),
        headers=bearer(token),
    )


async def pledge_count(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Pledge))).scalar_one())


async def test_post_pledge__offline_funder_accepted_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an open call
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    # When its owner records a pledge by a region
    response = await pledge(client, token, call["id"], amount="12500.00")
    # Then the pledge is accepted at once, with its amount as a string
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["funder_name"] == "Région Auvergne-Rhône-Alpes"
    assert body["amount"] == {"amount": "12500.00", "currency": "EUR"}
    assert body["uri"] == f"http://communs.test/pledges/{body['id']}" and body["pledger"] is None
    # And the call's progress moved, in total and for the sector
    read = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert read["raised"] == {"amount": "12500.00", "currency": "EUR"}
    assert read["raised_by_sector"]["public"] == "12500.00" and read["progress_percent"] == 25
    assert read["status"] == "open"
    # And the database holds integers
    async with app.state.communs.db.session() as session:
        amount = (await session.execute(text("SELECT amount_minor FROM pledge"))).scalar_one()
        by_sector = (
            await session.execute(text("SELECT raised_minor FROM funding_call"))
        ).scalar_one()
    assert amount == 1_250_000 and type(amount) is int and by_sector == 1_250_000
    # And followers get an Update of the call with the new figures
    update_ = (await sent(app, call["uri"]))[-1]
    assert update_["type"] == "Update"
    assert update_["object"]["raised"]["value"] == "12500.00"
    assert "€12,500.00 of €50,000.00 raised (25%)" in (update_["object"]["content"])


async def test_post_pledge__naming_another_actor_is_403_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    # Given coop's call, and region, another local actor
    _, token = await create_actor(app, "coop")
    _, region = await create_actor(app, "region", name="La Région", kind="public_body")
    call = await post_call(client, token)
    # When coop, or an admin, records a pledge in region's name
    for caller in (token, admin_token):
        response = await pledge(client, caller, call["id"], funder_name=None, pledger="region")
        # Then it is refused: only region may pledge in its own name
        assert response.status_code == 403, response.text
        assert "only region can pledge in its own name" in response.json()["detail"]
    # And nothing was written, sent, or listed as region's
    assert await pledge_count(app) == 0
    assert len(await sent(app, call["uri"])) == 1  # the Create only
    assert (await client.get("/api/v1/pledges", headers=bearer(region))).json() == []


async def test_post_pledge__an_offline_funder_is_marked_recorded_by_the_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call
    coop, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    # When coop records a pledge by a region outside the fediverse
    made = (await pledge(client, token, call["id"])).json()
    # Then the API, the AS2 Pledge and the page mark it as recorded by the call's owner
    assert made["recorded_by_owner"] is True and made["pledger"] is None
    listed = (await client.get(f"/api/v1/funding-calls/{call['id']}/pledges")).json()["items"]
    assert [p["recorded_by_owner"] for p in listed] == [True]
    document = (await client.get(f"/pledges/{made['id']}", headers=AS2_ACCEPT)).json()
    assert document["recordedBy"] == coop.uri and "attributedTo" not in document
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    assert [p["verificationMethod"] for p in proofs] == [f"{coop.uri}#ed25519-key"]
    assert document["name"] == "Région Auvergne-Rhône-Alpes"
    page = await client.get(call["url"], headers={"Accept": "text/html"})
    line = page.text.split(f'id="pledge-{made["id"]}"')[1].split("</li>")[0]
    assert "Région Auvergne-Rhône-Alpes" in line and "recorded by the call's owner" in line


async def test_served_pledge__same_bytes_and_etag_until_it_changes(settings: Settings) -> None:
    # Given a pledge served by an instance whose clock we move
    clock = FrozenClock()
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
            _, token = await create_actor(application, "coop")
            call = await post_call(client, token)
            made = (await pledge(client, token, call["id"])).json()
            first = await client.get(f"/pledges/{made['id']}", headers=AS2_ACCEPT)
            # When it is read again a minute later
            clock.advance(timedelta(minutes=1))
            again = await client.get(f"/pledges/{made['id']}", headers=AS2_ACCEPT)
            # Then the signed document and its ETag are the same, and a cache gets a 304
            assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
            cached = {"If-None-Match": first.headers["etag"], **AS2_ACCEPT}
            assert (await client.get(f"/pledges/{made['id']}", headers=cached)).status_code == 304


async def test_pledges__an_actor_pledging_itself_is_named_and_attributed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call
    _, token = await create_actor(app, "coop")
    _, region = await create_actor(app, "region", name="La Région", kind="public_body")
    call = await post_call(client, token)
    # When region pledges with its own token
    response = await client.post(
        "/api/v1/pledges",
        json=offer_body(call["uri"], "12500.00", "public"),
        headers=bearer(region),
    )
    assert response.status_code == 202, response.text
    made = response.json()
    # Then it is counted, carries region's name in the API and attributedTo in AS2
    listed = (await client.get(f"/api/v1/funding-calls/{call['id']}/pledges")).json()["items"]
    assert [(p["pledger"], p["recorded_by_owner"]) for p in listed] == [
        ("http://communs.test/actors/region", False)
    ]
    document = (await client.get(f"/pledges/{made['id']}", headers=AS2_ACCEPT)).json()
    assert document["objectType"] == "Pledge" and document["fundingCall"] == call["uri"]
    assert document["amount"] == {"type": "MonetaryAmount", "value": "12500.00", "currency": "EUR"}
    assert document["attributedTo"] == "http://communs.test/actors/region"
    assert "recordedBy" not in document
    page = await client.get(f"/pledges/{made['id']}")
    assert page.status_code == 303
    assert page.headers["location"] == f"{call['url']}#pledge-{made['id']}"


async def test_post_pledge__goal_reached_makes_the_call_funded(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call of 50 000 €
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    # When pledges from several sectors reach the goal
    for amount, sector in (("20000", "public"), ("20000", "private"), ("10000", "individual")):
        assert (await pledge(client, token, call["id"], amount=amount, sector=sector)).is_success
    # Then it is funded, with each sector's share
    read = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert read["status"] == "funded" and read["progress_percent"] == 100
    assert read["raised_by_sector"] == {
        "public": "20000.00",
        "private": "20000.00",
        "civil_society": "0.00",
        "individual": "10000.00",
    }
    note = (await client.get(f"/funding-calls/{call['id']}", headers=AS2_ACCEPT)).json()
    assert note["status"] == "funded"
    funded = (await client.get("/api/v1/funding-calls?status=funded")).json()["items"]
    assert [c["id"] for c in funded] == [call["id"]]
    # And each pledge's Update carries a strictly later `updated`
    updates = [
        a["object"]["updated"] for a in await sent(app, call["uri"]) if a["type"] == "Update"
    ]
    assert len(updates) == 3 and updates == sorted(set(updates))
    # And raising the goal above the total reopens it
    raised = await client.patch(
        f"/api/v1/funding-calls/{call['id']}",
        json={"goal": {"amount": "80000", "currency": "EUR"}},
        headers=bearer(token),
    )
    assert raised.json()["status"] == "open"


async def test_post_pledge__progress_is_recomputed_from_accepted_pledges(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with two accepted pledges
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    first = (await pledge(client, token, call["id"], amount="1000")).json()
    await pledge(client, token, call["id"], amount="2000", sector="private")
    # When one of them is no longer accepted and another pledge is recorded
    async with app.state.communs.db.session() as session:
        await session.execute(
            update(Pledge).where(Pledge.id == first["id"]).values(state=PledgeState.withdrawn)
        )
        await session.commit()
    await pledge(client, token, call["id"], amount="500", sector="private")
    # Then the totals are the sum of the accepted pledges only (never incremented)
    read = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert read["raised"]["amount"] == "2500.00"
    assert read["raised_by_sector"]["public"] == "0.00"
    assert read["raised_by_sector"]["private"] == "2500.00"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"amount": {"amount": "10", "currency": "USD"}}, "the call is in EUR, not USD"),
        ({"amount": {"amount": "10.001", "currency": "EUR"}}, "at most 2 decimal places"),
        ({"amount": {"amount": "0", "currency": "EUR"}}, "greater than zero"),
        ({"amount": {"amount": 10.5, "currency": "EUR"}}, "not a JSON number"),
        ({"sector": "church"}, "sector"),
        ({"pledger": "region"}, "exactly one of pledger"),
        ({"funder_name": None}, "exactly one of pledger"),
        ({"funder_name": None, "pledger": "ghost"}, "no local actor 'ghost'"),
        ({"funder_name": None, "pledger": "coop"}, "another actor"),
        ({"message": "x" * 2001}, "message"),
    ],
)
async def test_post_pledge__invalid_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, object], needle: str
) -> None:
    _, token = await create_actor(app, "coop")
    await create_actor(app, "region")
    call = await post_call(client, token)
    response = await pledge(client, token, call["id"], **fields)
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert await pledge_count(app) == 0
    assert len(await sent(app, call["uri"])) == 1  # the Create only


async def test_post_pledge__only_the_owner_or_an_admin(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    _, owner = await create_actor(app, "coop")
    _, other = await create_actor(app, "other")
    call = await post_call(client, owner)
    assert (await pledge(client, other, call["id"])).status_code == 403
    assert (
        await client.post(f"/api/v1/funding-calls/{call['id']}/pledges", json=pledge_body())
    ).status_code == 401
    assert (await pledge(client, admin_token, call["id"])).status_code == 201
    assert (await pledge(client, owner, "nope")).status_code == 404


async def test_post_pledge__idempotency_key_counts_a_pledge_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a pledge recorded with an Idempotency-Key
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    first = await client.post(path, json=pledge_body(), headers=bearer(token, "p-1"))
    # When the request is retried (a lost answer)
    retry = await client.post(path, json=pledge_body(), headers=bearer(token, "p-1"))
    # Then the first answer comes back and the pledge counts once
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert await pledge_count(app) == 1
    read = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert read["raised"]["amount"] == "12500.00"
    # And the same key on another call is a different request: 422
    other = await post_call(client, token)
    reused = await client.post(
        f"/api/v1/funding-calls/{other['id']}/pledges",
        json=pledge_body(),
        headers=bearer(token, "p-1"),
    )
    assert reused.status_code == 422


async def test_read_pledges__newest_first_with_cursor_and_etag(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    made = [
        (await pledge(client, token, call["id"], amount=str(n))).json()["id"] for n in (1, 2, 3)
    ]
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    page = (await client.get(f"{path}?limit=2")).json()
    assert [p["id"] for p in page["items"]] == [made[2], made[1]]
    rest = (await client.get(f"{path}?limit=2&cursor={page['next_cursor']}")).json()
    assert [p["id"] for p in rest["items"]] == [made[0]] and rest["next_cursor"] is None
    listed = await client.get(path)
    assert (
        await client.get(path, headers={"If-None-Match": listed.headers["etag"]})
    ).status_code == 304


async def test_read_own_pledges__paged_with_a_link_to_the_next_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given three pledges made by region to coop's call, through the pledge API
    _, owner = await create_actor(app, "coop")
    _, region = await create_actor(app, "region", name="La Région", kind="public_body")
    call = await post_call(client, owner)
    made = []
    for amount in ("100.00", "200.00", "300.00"):
        response = await client.post(
            "/api/v1/pledges",
            json=offer_body(call["uri"], amount, "public"),
            headers=bearer(region),
        )
        assert response.status_code == 202, response.text
        made.append(response.json()["id"])

    # When region reads its pledges two at a time
    first = await client.get("/api/v1/pledges", params={"limit": 2}, headers=bearer(region))
    second = await client.get(first.links["next"]["url"], headers=bearer(region))

    # Then the pages hold them newest first, and the last page names no next one
    assert [p["id"] for p in first.json()] == made[:0:-1]
    assert [p["id"] for p in second.json()] == made[:1]
    assert "link" not in second.headers
