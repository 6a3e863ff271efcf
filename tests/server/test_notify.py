"""Workers in other processes are woken by PostgreSQL's NOTIFY when deliveries are enqueued."""

from __future__ import annotations

import asyncio

import pytest

from server.db import Database
from server.notify import announce_deliveries, listening


async def test_notify__a_committed_announcement_wakes_a_listener(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite workers run in the web process")
    woken = asyncio.Event()
    async with listening(db, woken.set):
        # When a transaction announces deliveries, nothing is said before it commits
        async with db.session() as session:
            await announce_deliveries(session)
            await asyncio.sleep(0.2)
            assert not woken.is_set()
            await session.commit()

        # Then the listener is woken once it does
        await asyncio.wait_for(woken.wait(), timeout=5)


async def test_notify__a_rolled_back_announcement_wakes_nobody(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite workers run in the web process")
    woken = asyncio.Event()
    async with listening(db, woken.set):
        async with db.session() as session:
            await announce_deliveries(session)
            await session.rollback()
        await asyncio.sleep(0.3)
    assert not woken.is_set()


async def test_notify__sqlite_listens_to_nothing_and_announces_nothing(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's no-op")
    woken = asyncio.Event()
    async with listening(db, woken.set), db.session() as session:
        await announce_deliveries(session)
        await session.commit()
    assert not woken.is_set()
