"""Waking workers in other processes when deliveries are enqueued (PostgreSQL's LISTEN/NOTIFY).

A separate ``communs worker`` otherwise learns of new work by polling, and the poll interval
was most of the delay before the first delivery (docs/performance.md). The publishing
transaction sends ``NOTIFY``, which PostgreSQL delivers at commit; every process running
workers listens on a connection of its own. Polling stays the fallback: a lost notification
only delays a delivery by one poll. SQLite has no such channel, and its single-machine
deployments run the workers in the web process, where the wake-up is a function call.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def listening(db: Database, wake: Callable[[], None]) -> AsyncIterator[None]:
    """Call ``wake`` on every notification while the context is open (PostgreSQL only)."""
    if db.is_sqlite:
        yield
        return

    def notified(*_: Any) -> None:
        wake()

    async with db.engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        await driver.add_listener(CHANNEL, notified)
        try:
            yield
        finally:
            try:
                await driver.remove_listener(CHANNEL, notified)
            except Exception as exc:  # the connection is gone: nothing left to unlisten
                log.info("could not stop listening on %s: %s", CHANNEL, exc)
