"""Housekeeping closes calls whose deadline passed (telling followers) and purges old keys."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.clock import FrozenClock
from server.domain.housekeeping import housekeep
from server.storage.models import Activity, FundingCall, IdempotencyRecord
from tests.conftest import create_actor


async def test_housekeep__closes_expired_calls_once_and_purges_keys(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call whose deadline has passed, and an idempotency key older than a day
    _, token = await create_actor(app, "coop")
    auth = {"Authorization": f"Bearer {token}"}
    created = await client.post(
        "/api/v1/funding-calls",
        json={
            "title": "Maps",
            "goal": {"amount": "10.00", "currency": "EUR"},
            "deadline": "2099-01-01",
        },
        headers=auth | {"Idempotency-Key": "k1"},
    )
    assert created.status_code == 201
    state = app.state.communs
    the_day_after = FrozenClock(datetime(2099, 1, 2, tzinfo=UTC))

    # When housekeeping runs twice, the day after the deadline
    assert await housekeep(state.db, state.urls, the_day_after) == 1
    assert await housekeep(state.db, state.urls, the_day_after) == 0

    # Then the call is stored closed, one Update was published, and the key is gone
    async with state.db.session() as session:
        assert await session.scalar(select(FundingCall.status)) == "closed"
        updates = await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.type == "Update")
        )
        assert updates == 1
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
