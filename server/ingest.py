"""Group commit of accepted inbox activities: many requests, one INSERT and one COMMIT.

The database write, not the crypto, bounds the inbox (DESIGN.md §12: ≈ 600 requests/s with a
commit each, ≈ 2 200/s batched). Each request waits until the batch holding its activity is
committed before it is answered 202, so nothing accepted is ever lost. Ids already stored are
skipped by ``ON CONFLICT DO NOTHING`` and reported as duplicates.

A batch is one statement and one hop: on SQLite a multi-row ``VALUES`` run with its commit
on a connection and thread of the writer's own, on PostgreSQL an ``unnest`` of arrays sent by
asyncpg outside any transaction. The ORM's per-row work cost more than the rest of an inbox
request, and each extra hop to aiosqlite's thread cost GIL hand-offs (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.states import ActivityState
from server.db import Database, UTCDateTime, sqlite_pragmas, utcnow
from server.urls import new_id

__all__ = ["BATCH_SIZE", "GroupCommitter"]

log = logging.getLogger("communs.ingest")

BATCH_SIZE = 200

_COLUMNS = (
    "id, uri, type, actor_uri, object_uri, body, "
    "direction, is_public, state, attempts, next_attempt_at, created_at"
)
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, 'in', 0, ?, 0, ?, ?)"
_POSTGRES = (
    f"INSERT INTO activity ({_COLUMNS}) "
    "SELECT id, uri, type, actor_uri, object_uri, body, 'in', false, $7, 0, $8, $8 "
    "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], "
    "$6::bytea[]) AS batch(id, uri, type, actor_uri, object_uri, body) "
    "ON CONFLICT (uri) DO NOTHING RETURNING uri"
)

#: What a failed batch may raise: the drivers' own errors (the batch bypasses SQLAlchemy's).
_WRITE_ERRORS = (
    DBAPIError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. a connection the server ended mid-protocol
    OSError,
)

#: (id, uri, type, actor_uri, object_uri, body)
Row = tuple[str, str, str, str, str | None, bytes]


@dataclass
class _Pending:
    row: Row
    done: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def uri(self) -> str:
        return self.row[1]


class _SqliteBatches:
    """Batches written on a SQLite connection and thread of their own: one hop each."""

    in_flight = 1  # one connection, one thread: batches queue there anyway

    def __init__(self, db: Database) -> None:
        self._path = make_url(db.url).database or ""
        self._stamp = UTCDateTime().bind_processor(db.engine.dialect)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="communs-ingest")
        self._connection: sqlite3.Connection | None = None

    async def insert(self, rows: list[Row]) -> set[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._insert, rows)

    def _insert(self, rows: list[Row]) -> set[str]:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, timeout=30)
            sqlite_pragmas(self._connection, None)
        now = self._stamp(utcnow()) if self._stamp else utcnow()
        state = ActivityState.received.value
        values = ", ".join([_SQLITE_ROW] * len(rows))
        params = [value for row in rows for value in (*row, state, now, now)]
        sql = f"INSERT INTO activity ({_COLUMNS}) VALUES {values} "
        with self._connection:  # commits, or rolls back on error
            cursor = self._connection.execute(
                sql + "ON CONFLICT (uri) DO NOTHING RETURNING uri", params
            )
            return {uri for (uri,) in cursor.fetchall()}

    async def close(self) -> None:
        if self._connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connection.close)
        self._executor.shutdown()


class _PostgresBatches:
    """Batches sent by asyncpg as one autocommitted statement: one round trip each.

    The writer keeps its connections checked out: a checkout from the pool pings the server
    first, a second round trip per batch (15–20 % of the inbox's rate). A connection that
    fails is dropped with every idle one (they are likely to have died together), so the
    one-by-one retry of the failed batch runs on fresh connections.
    """

    #: Batches sent before the first is committed: a commit waits for the WAL to reach the
    #: disk, and requests arriving meanwhile need not wait for it to start their own.
    in_flight = 3

    def __init__(self, db: Database) -> None:
        self._db = db
        self._idle: list[AsyncConnection] = []

    async def insert(self, rows: list[Row]) -> set[str]:
        columns = [list(column) for column in zip(*rows, strict=True)]
        connection = self._idle.pop() if self._idle else await self._db.engine.connect()
        try:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            returned = await driver.fetch(
                _POSTGRES, *columns, ActivityState.received.value, utcnow()
            )
        except BaseException:
            await self._discard([connection, *self._idle])
            self._idle.clear()
            raise
        self._idle.append(connection)
        return {row[0] for row in returned}

    @staticmethod
    async def _discard(connections: list[AsyncConnection]) -> None:
        for connection in connections:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                await connection.invalidate()
                await connection.close()

    async def close(self) -> None:
        """Return the writer's connections to the pool."""
        for connection in self._idle:
            await connection.close()
        self._idle.clear()


class GroupCommitter:
    """Collects incoming activities and writes them in batches, from one task on SQLite."""

    def __init__(self, db: Database) -> None:
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self._batches = _SqliteBatches(db) if db.is_sqlite else _PostgresBatches(db)

    async def record(
        self, *, uri: str, type: str, actor_uri: str, object_uri: str | None, body: bytes
    ) -> bool:
        """Store one activity; return ``False`` if its id was already stored."""
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._write_forever(self._queue))
        assert self._queue is not None
        object_uri = object_uri[:2048] if object_uri else None
        pending = _Pending((new_id(), uri, type[:64], actor_uri, object_uri, body))
        await self._queue.put(pending)
        return await pending.done

    async def close(self) -> None:
        """Stop the writer once the queue is empty."""
        if self._task is not None:
            assert self._queue is not None
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._batches.close()

    async def _write_forever(self, queue: asyncio.Queue[_Pending]) -> None:
        slots = asyncio.Semaphore(self._batches.in_flight)
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH_SIZE and not queue.empty():
                batch.append(queue.get_nowait())
            await slots.acquire()
            write = asyncio.create_task(self._write_batch(queue, batch))
            self._writes.add(write)
            write.add_done_callback(self._writes.discard)
            write.add_done_callback(lambda _: slots.release())

    async def _write_batch(self, queue: asyncio.Queue[_Pending], batch: list[_Pending]) -> None:
        try:
            await self._write(batch)
        except _WRITE_ERRORS as exc:
            log.warning("batch insert failed (%s); writing one by one", exc)
            for pending in batch:
                await self._write_one(pending)
        except Exception as exc:  # unforeseen: fail these requests rather than leave them waiting
            log.exception("batch insert failed")
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(exc)
        finally:
            for _ in batch:
                queue.task_done()

    async def _write(self, batch: list[_Pending]) -> None:
        first: dict[str, _Pending] = {}
        for pending in batch:  # the same id twice in one batch: the first is the new one
            first.setdefault(pending.uri, pending)
        inserted = await self._batches.insert([p.row for p in first.values()])
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(pending.uri in inserted and first[pending.uri] is pending)

    async def _write_one(self, pending: _Pending) -> None:
        try:
            inserted = await self._batches.insert([pending.row])
        except _WRITE_ERRORS as exc:  # this row alone cannot be stored: say so
            if not pending.done.done():
                pending.done.set_exception(exc)
            return
        if not pending.done.done():
            pending.done.set_result(pending.uri in inserted)
