"""Workers in other processes are woken by PostgreSQL's NOTIFY when deliveries are enqueued.

On SQLite both ends do nothing (a separate SQLite worker probes the queue instead), and the
same tests check that.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

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


async def test_notify__a_lost_listening_connection_is_opened_again(db: Database) -> None:
    if db.is_sqlite:
        return  # nothing listens on SQLite (see the first test)
    woken = asyncio.Event()
    async with listening(db, woken.set):
        # Given the listening connection killed, as a database restart would
        async with db.engine.connect() as connection:
            killed = await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                )
            )
            assert killed.all() == [(True,)]
        # Then the listener comes back, wakes the workers once for what it may have missed,
        await asyncio.wait_for(woken.wait(), timeout=10)
        woken.clear()
        # and hears the next announcement
        async with db.session() as session:
            await announce_deliveries(session)
            await session.commit()
        await asyncio.wait_for(woken.wait(), timeout=5)
