"""The SQL store's domain policy: one read per expiry, and a moderation change is never missed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.inbox.store import SqlStore
from server.storage.db import Database
from server.storage.models import Domain


def count_sessions(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make ``db`` count the sessions it opens; return the one-element counter."""
    opened = [0]
    original = db.session

    @asynccontextmanager
    async def counting() -> AsyncIterator[AsyncSession]:
        opened[0] += 1
        async with original() as session:
            yield session

    monkeypatch.setattr(db, "session", counting)
    return opened


async def test_domain_policy__concurrent_requests_share_one_read(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store whose policy has never been read
    store = SqlStore(db)
    opened = count_sessions(db, monkeypatch)

    # When fifty inbox requests ask at once
    answers = await asyncio.gather(*(store.is_blocked("x.example") for _ in range(50)))

    # Then one query answered them all
    assert answers == [False] * 50
    assert opened == [1]


async def test_domain_policy__block_during_a_read_is_seen_next(db: Database) -> None:
    # Given a read of the policy in flight
    store = SqlStore(db)
    reading = asyncio.create_task(store.is_blocked("x.example"))
    await asyncio.sleep(0)

    # When a moderator blocks the host meanwhile, and the store is told
    async with db.session() as session:
        session.add(Domain(host="x.example", block="reject"))
        await session.commit()
    store.forget_domains()
    await reading

    # Then the next request sees the block
    assert await store.is_blocked("x.example") is True
