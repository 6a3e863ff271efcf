"""A funding call's page reads its pledges' funders at once: the same number of statements for
one pledge as for fifty (it ran one query per pledge listed, and per pledge in its history)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, insert, select
from sqlmodel import col

from schemas.states import CallEventKind, PledgeState
from server.clock import utcnow
from server.storage.models import Actor, FundingCall, FundingCallEvent, Pledge
from server.urls import new_id
from tests.conftest import create_actor


async def _pledged(app: FastAPI, call_id: str, first: int, count: int) -> None:
    """Add ``count`` accepted pledges to the call, each by a remote actor of its own, with
    the history events that list them."""
    now = utcnow()
    actors = [
        {
            "uri": f"https://f{k}.example/users/u{k}",
            "username": f"u{k}",
            "domain": f"f{k}.example",
            "is_local": False,
            "type": "Person",
            "name": f"Funder {k}",
            "inbox_uri": f"https://f{k}.example/users/u{k}/inbox",
            "manually_approves_followers": False,
            "discoverable": True,
            "created_at": now,
            "updated_at": now,
        }
        for k in range(first, first + count)
    ]
    async with app.state.communs.db.session() as session:
        await session.execute(insert(Actor), actors)
        ids = (
            await session.execute(
                select(Actor.id).where(col(Actor.uri).in_([a["uri"] for a in actors]))
            )
        ).scalars()
        for pledger_id, actor in zip(ids, actors, strict=False):
            pledge = Pledge(
                id=new_id(),
                uri=f"{actor['uri']}/pledges/1",
                funding_call_id=call_id,
                pledger_id=pledger_id,
                sector="individual",
                amount_minor=1000,
                currency="EUR",
                state=PledgeState.accepted,
            )
            session.add(pledge)
            await session.flush()
            session.add(
                FundingCallEvent(
                    funding_call_id=call_id,
                    kind=CallEventKind.pledged,
                    actor_uri=actor["uri"],
                    pledge_id=pledge.id,
                    amount_minor=1000,
                    currency="EUR",
                    goal_minor=100000,
                    raised_minor=1000,
                    status="open",
                )
            )
        await session.commit()


async def _statements_of_page(app: FastAPI, client: httpx.AsyncClient, path: str) -> int:
    """Return how many statements rendering ``path`` for a signed-in visitor ran."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    engine = app.state.communs.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = await client.get(path, headers={"Accept": "text/html", "Cookie": "x=1"})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200, page.text
    return statements


async def test_call_page__as_many_statements_for_fifty_pledges_as_for_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call with one pledge
    _, token = await create_actor(app, "coop")
    created = await client.post(
        "/api/v1/funding-calls",
        json={
            "title": "Fund",
            "goal": {"amount": "1000.00", "currency": "EUR"},
            "deadline": "2099-01-01",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    async with app.state.communs.db.session() as session:
        call = await session.get(FundingCall, created.json()["id"])
        assert call is not None
    path = created.json()["url"].split("communs.test", 1)[-1]
    await _pledged(app, call.id, 0, 1)
    one = await _statements_of_page(app, client, path)

    # When it has fifty
    await _pledged(app, call.id, 1, 49)
    fifty = await _statements_of_page(app, client, path)

    # Then its page costs the same statements, and lists every funder
    assert fifty == one, (one, fifty)
    page = await client.get(path, headers={"Accept": "text/html", "Cookie": "x=1"})
    assert "Funder 0" in page.text and "Funder 49" in page.text
