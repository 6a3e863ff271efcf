"""The page, the API and the Note of a call tell the same figures, whatever its pledges became.

Withdrawn pledges are listed, marked, and never counted; rejected Offers are listed nowhere;
the amounts listed on the page add up to the total it shows.
"""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from schemas.states import PledgeState
from server.pages.objects import PAGE_PLEDGES
from server.storage.models import Pledge
from tests.conftest import create_actor
from tests.fakeremote import (  # noqa: F401  (fixtures)
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)
from tests.publications import AS2_ACCEPT, bearer, offer_body, pledge_body
from tests.server.test_pledge_offers import offer, open_call


def cents(text: str) -> int:
    """Minor units of an amount as the page writes it ("1 234,50 €")."""
    return int(re.sub(r"[^0-9]", "", text))


def amounts(html: str) -> list[int]:
    return [cents(a) for a in re.findall(r'<span class="amount">([^<]*)</span>', html)]


async def test_figures__page_api_and_note_agree_and_leave_out_what_is_not_counted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given coop's call of 100.00 EUR
    call = await open_call(app, client)
    calls = f"/api/v1/funding-calls/{call['id']}"
    _, region = await create_actor(app, "region", name="La Région")
    # And pledges of every fate: region's own (kept and withdrawn), one coop recorded,
    # one of bob's Offers accepted and one rejected
    for amount in ("30", "5"):
        made = await client.post(
            "/api/v1/pledges", json=offer_body(call["uri"], amount), headers=bearer(region)
        )
    withdrawn = made.json()["id"]
    assert (await client.delete(f"/api/v1/pledges/{withdrawn}", headers=bearer(region))).is_success
    recorded = await client.post(
        f"{calls}/pledges", json=pledge_body("20"), headers=await coop_auth(app)
    )
    assert recorded.status_code == 201, recorded.text
    await deliver_and_process(app, client, offer(call["uri"], 1), "/actors/coop/inbox")
    await deliver_and_process(
        app, client, offer(call["uri"], 2, currency="USD"), "/actors/coop/inbox"
    )

    # When the API, the Note and the page are read
    api = (await client.get(calls)).json()
    listed = (await client.get(f"{calls}/pledges")).json()["items"]
    note = (await client.get(call["url"], headers=AS2_ACCEPT)).json()
    page = (await client.get(call["url"], headers={"Accept": "text/html"})).text

    # Then the API counts the accepted pledges only, and lists the withdrawn one marked
    assert api["raised"]["amount"] == "90.00" and api["status"] == "open"
    assert api["raised_by_sector"] == {
        "public": "20.00",
        "private": "30.00",
        "civil_society": "40.00",
        "individual": "0.00",
    }
    assert sorted((p["amount"]["amount"], p["status"]) for p in listed) == [
        ("20.00", "accepted"),
        ("30.00", "accepted"),
        ("40.00", "accepted"),
        ("5.00", "withdrawn"),
    ]
    # And the Note says the same, in its terms and in its text
    assert note["raised"]["value"] == "90.00" and note["status"] == "open"
    assert {s: m["value"] for s, m in note["raisedBySector"].items()} == api["raised_by_sector"]
    assert "€90.00 of €100.00 raised (90%)" in note["content"]
    # And the page shows that total, with sector rows and listed pledges that add up to it
    assert "€90.00 of €100.00 raised (90%)" in page
    sectors = page.split('<table class="sectors">')[1].split("</table>")[0]
    assert sum(cents(a) for a in re.findall(r'<td class="amount">([^<]*)</td>', sectors)) == 9000
    counted = page.split('<ol class="pledge-list">')[1].split("</ol>")[0]
    assert sorted(amounts(counted)) == [2000, 3000, 4000]
    # And the withdrawn pledge is apart, marked, and the rejected Offer nowhere
    apart = page.split('<ol class="pledge-list withdrawn-list"')[1].split("</ol>")[0]
    assert f'id="pledge-{withdrawn}"' in apart and "withdrawn" in apart and amounts(apart) == [500]
    assert page.count('class="pledge pledge-') == 4


async def test_call_page__older_pledges_are_summed_so_the_page_still_adds_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with more accepted pledges than a page lists (stored, then one more through
    # the API, which recomputes the figures)
    call = await open_call(app, client)
    async with app.state.communs.db.session() as session:
        for n in range(PAGE_PLEDGES):
            session.add(
                Pledge(
                    id=f"00000000000000000000{n:06d}",
                    uri=f"http://communs.test/pledges/old{n}",
                    funding_call_id=call["id"],
                    funder_name=f"Funder {n}",
                    recorded_by_owner=True,
                    sector="public",
                    amount_minor=100 + n,
                    currency="EUR",
                    state=PledgeState.accepted,
                )
            )
        await session.commit()
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    assert (await client.post(path, json=pledge_body("7"), headers=await coop_auth(app))).is_success
    # When its page is read
    page = (await client.get(call["url"], headers={"Accept": "text/html"})).text
    # Then it lists a page of pledges and sums the older ones in a line, adding up to the total
    total = 700 + sum(100 + n for n in range(PAGE_PLEDGES))
    listed = page.split('<ol class="pledge-list">')[1].split("</ol>")[0]
    older = page.split('<p class="older-pledges">')[1].split("</p>")[0]
    assert len(amounts(listed)) == PAGE_PLEDGES and "and 1 earlier pledge:" in older
    assert sum(amounts(listed)) + sum(amounts(older)) == total
    api = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert cents(api["raised"]["amount"]) == total
