"""Workers in other processes are woken by PostgreSQL's NOTIFY when deliveries are enqueued.

On SQLite both ends do nothing (a separate SQLite worker probes the queue instead), and the
same tests check that.
"""

from __future__ import annotations

import asyncio

from server.storage.db import Database
from server.storage.notify import announce_deliveries, listening


async def test_notify__a_committed_announcement_wakes_a_listener(db: Database) -> None:
    woken = asyncio.Event()
    async with listening(db, woken.set):
        # When a transaction announces deliveries, nothing is said before it commits
        async with db.session() as session:
            await announce_deliveries(session)
            await asyncio.sleep(0.2)
            assert not woken.is_set()
            await session.commit()

        # Then a PostgreSQL listener is woken once it does; SQLite has nobody to tell
        if db.is_sqlite:
            await asyncio.sleep(0.2)
            assert not woken.is_set()
        else:
            await asyncio.wait_for(woken.wait(), timeout=5)


async def test_notify__a_rolled_back_announcement_wakes_nobody(db: Database) -> None:
    woken = asyncio.Event()
    async with listening(db, woken.set):
        async with db.session() as session:
            await announce_deliveries(session)
            await session.rollback()
        await asyncio.sleep(0.3)
    assert not woken.is_set()
