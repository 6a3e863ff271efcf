"""Whether anything was written to the database, by any process, since a moment.

Kept pages must not outlive a change made by another process (a command-line deletion must
answer 410 at once), yet reading the rows a page shows costs as much as rendering it. Both
databases say cheaply that something was committed: SQLite's ``PRAGMA data_version`` changes
for a connection whenever another connection commits (it reads shared memory, not the file),
and PostgreSQL's ``pg_current_snapshot()`` ends at the next transaction id, which moves whenever
any transaction writes. Concurrent readers of PostgreSQL's share one query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from server.storage.db import Database

__all__ = ["DataVersion"]

log = logging.getLogger("communs.version")

_POSTGRES = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text"


class DataVersion:
    """The database's write version, as this process sees it (compare with ``==``)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: tuple[AsyncConnection, Any] | None = None
        self._reading: asyncio.Future[object] | None = None

    async def current(self) -> object:
        """Return a value that changes whenever something was committed since the last one;
        on any failure, a value equal to nothing (whatever it guards is read again)."""
        try:
            if self._db.is_sqlite:
                return self._sqlite_version()
            if self._reading is None or self._reading.done():
                self._reading = asyncio.ensure_future(self._postgres_version())
            return await asyncio.shield(self._reading)
        except Exception as exc:  # a lost connection: nothing is trusted until the next read
            log.info("could not read the data version: %s", exc)
            await self.close()
            return object()

    def _sqlite_version(self) -> object:
        if self._sqlite is None:
            path = make_url(self._db.url).database or ""
            self._sqlite = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        return self._sqlite.execute("PRAGMA data_version").fetchone()[0]

    async def _postgres_version(self) -> object:
        if self._postgres is None:
            connection = await self._db.engine.connect()
            raw = (await connection.get_raw_connection()).driver_connection
            self._postgres = (connection, raw)
        return await self._postgres[1].fetchval(_POSTGRES)

    async def close(self) -> None:
        """Let go of the connection (a new one is made on the next read)."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._postgres is not None:
            connection, self._postgres = self._postgres[0], None
            with contextlib.suppress(Exception):
                await connection.close()
