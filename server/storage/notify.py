"""Waking workers in other processes when deliveries are enqueued (PostgreSQL's LISTEN/NOTIFY).

A separate ``communs worker`` otherwise learns of new work by polling, and the poll interval
was most of the delay before the first delivery (docs/performance.md). The publishing
transaction sends ``NOTIFY``, which PostgreSQL delivers at commit; every process running
workers listens on a connection of its own. Polling stays the fallback: a lost notification
only delays a delivery by one poll. SQLite has no such channel, and its single-machine
deployments run the workers in the web process, where the wake-up is a function call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.db import Database

__all__ = ["CHANNEL", "announce_deliveries", "listening"]

log = logging.getLogger("communs.notify")

CHANNEL = "communs_delivery"


async def announce_deliveries(session: AsyncSession) -> None:
    """Have PostgreSQL tell listening workers, when this transaction commits, that work is due."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"NOTIFY {CHANNEL}"))


#: Waits between attempts to listen again after the connection was lost (seconds).
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


@asynccontextmanager
async def listening(db: Database, wake: Callable[[], None]) -> AsyncIterator[None]:
    """Call ``wake`` on every notification while the context is open (PostgreSQL only).

    The listening connection is opened before the context is entered; if it is lost (the
    database restarted, the connection was killed), it is opened again in the background, with
    back-off, and ``wake`` is called once it is back, for the work announced meanwhile.
    """
    if db.is_sqlite:
        yield
        return
    ready = asyncio.Event()
    task = asyncio.create_task(_listen(db, wake, ready), name="communs-listen")
    await ready.wait()
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _listen(db: Database, wake: Callable[[], None], ready: asyncio.Event) -> None:
    """Hold a listening connection, opening it again whenever it is lost."""

    def notified(*_: Any) -> None:
        wake()

    delay, lost_before = RETRY_FIRST, False
    while True:
        lost = asyncio.Event()
        try:
            async with db.engine.connect() as connection:
                driver: Any = (await connection.get_raw_connection()).driver_connection
                driver.add_termination_listener(lambda *_, lost=lost: lost.set())
                await driver.add_listener(CHANNEL, notified)
                ready.set()
                if lost_before:
                    log.warning("listening on %s again", CHANNEL)
                    wake()  # what was announced while nobody listened
                delay = RETRY_FIRST
                await lost.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # unreachable database, or the connection died under us
            if not lost_before:
                log.warning("not listening on %s (%s); polling meanwhile", CHANNEL, exc)
        ready.set()
        lost_before = True
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX)
