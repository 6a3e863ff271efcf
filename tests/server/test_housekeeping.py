"""Housekeeping closes calls whose deadline passed (telling followers) and purges old keys."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server.domain.housekeeping import housekeep
from server.storage.db import utcnow
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
    async with state.db.session() as session:
        await session.execute(update(FundingCall).values(deadline=date.today() - timedelta(days=1)))
        await session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(days=2))
        )
        await session.commit()

    # When housekeeping runs twice
    assert await housekeep(state.db, state.urls) == 1
    assert await housekeep(state.db, state.urls) == 0

    # Then the call is stored closed, one Update was published, and the key is gone
    async with state.db.session() as session:
        assert await session.scalar(select(FundingCall.status)) == "closed"
        updates = await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.type == "Update")
        )
        assert updates == 1
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
