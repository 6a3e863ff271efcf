"""Group commit of accepted inbox activities: many requests, one INSERT and one COMMIT.

The database write, not the crypto, bounds the inbox (docs/performance.md: ≈ 600 requests/s with a
commit each, ≈ 2 200/s batched). Each request waits until the batch holding its activity is
committed before it is answered 202, so nothing accepted is ever lost. Ids already stored are
skipped by ``ON CONFLICT DO NOTHING`` and reported as duplicates.

An activity posted to a personal inbox names its owner, and the batch's statement checks, in
the same transaction as the insert, that the owner is still a local actor that was not
deleted: a deletion by any process is seen at once, and the request checks nothing per
request in the database (docs/performance.md, tenth round). Refused rows are answered 410.

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
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from queue import SimpleQueue
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.states import ActivityState
from server.clock import utcnow
from server.errors import Gone
from server.storage.db import Database, UTCDateTime, sqlite_pragmas
from server.urls import new_id

__all__ = ["BATCH_SIZE", "GroupCommitter", "Written"]

log = logging.getLogger("communs.ingest")

BATCH_SIZE = 200

_COLUMNS = (
    "id, uri, type, actor_uri, object_uri, body, "
    "direction, is_public, state, attempts, next_attempt_at, created_at"
)
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, 'in', 0, ?, 0, ?, ?)"
#: Local actors whose personal inbox takes activities (the instance actor has none).
_LIVE_OWNER = "is_local = true AND deleted_at IS NULL AND type <> 'Application'"
_SQLITE_LIVE = f"SELECT username FROM actor WHERE {_LIVE_OWNER} AND username IN "
_SKIP_KNOWN = "ON CONFLICT (uri) DO NOTHING"
#: The same with personal inboxes: a row is inserted only while its owner is live.
_SQLITE_OWNED_ROW = "(?, ?, ?, ?, ?, ?, ?)"
_SQLITE_OWNED = (
    "WITH batch(id, uri, type, actor_uri, object_uri, body, owner) AS (VALUES {values}) "
    f"INSERT INTO activity ({_COLUMNS}) "
    "SELECT id, uri, type, actor_uri, object_uri, body, 'in', 0, ?, 0, ?, ? FROM batch "
    "WHERE owner IS NULL OR EXISTS (SELECT 1 FROM actor WHERE actor.username = batch.owner "
    f"AND {_LIVE_OWNER}) {_SKIP_KNOWN}"
)
_POSTGRES = (
    f"INSERT INTO activity ({_COLUMNS}) "
    "SELECT id, uri, type, actor_uri, object_uri, body, 'in', false, $7, 0, $8, $8 "
    "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], "
    "$6::bytea[]) AS batch(id, uri, type, actor_uri, object_uri, body) "
    "ON CONFLICT (uri) DO NOTHING RETURNING uri"
)
#: The same with personal inboxes: owners checked in the insert's own snapshot. Answers
#: (uri, false) per stored row and (username, true) per owner still taking activities.
_POSTGRES_OWNED = (
    "WITH batch AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], "
    "$4::varchar[], $5::varchar[], $6::bytea[], $9::varchar[]) WITH ORDINALITY "
    "AS b(id, uri, type, actor_uri, object_uri, body, owner, n)), "
    f"live AS (SELECT username FROM actor WHERE {_LIVE_OWNER} AND username = ANY($9)), "
    f"stored AS (INSERT INTO activity ({_COLUMNS}) "
    "SELECT id, uri, type, actor_uri, object_uri, body, 'in', false, $7, 0, $8, $8 FROM batch "
    "WHERE owner IS NULL OR owner IN (SELECT username FROM live) ORDER BY n "
    "ON CONFLICT (uri) DO NOTHING RETURNING uri) "
    "SELECT uri, false FROM stored UNION ALL SELECT username, true FROM live"
)

#: What a failed batch may raise: the drivers' own errors (the batch bypasses SQLAlchemy's).
_WRITE_ERRORS = (
    DBAPIError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. a connection the server ended mid-protocol
    OSError,
    UnicodeError,  # text the edge let through that the driver cannot encode: fail it alone
)

#: (id, uri, type, actor_uri, object_uri, body, owner): ``owner`` is the username of the
#: personal inbox it was posted to (None: the shared inbox).
Row = tuple[str, str, str, str, str | None, bytes, str | None]


class Written(NamedTuple):
    """What a write stored: the activity ids it inserted, and the owners it refused."""

    stored: set[str]
    #: Usernames of personal inboxes that no longer take activities (their rows not stored).
    gone: frozenset[str] = frozenset()


#: What a write reports back, or why it failed.
Outcome = Written | BaseException

#: What a batch's writer calls with its outcome, on the event loop.
Done = Callable[[Outcome], None]


class _Pending:
    """One activity waiting for its batch's commit, and the request waiting on it."""

    __slots__ = ("done", "owner", "row", "uri")

    def __init__(self, row: Row, done: asyncio.Future[bool]) -> None:
        self.row = row
        self.uri = row[1]
        self.owner = row[6]
        self.done = done


#: A batch handed to the SQLite thread, with what to call once it is written.
_Handed = tuple[list[Row], Done]


class _SqliteBatches:
    """Batches written back to back on a SQLite connection and thread of their own.

    The thread starts its next write as soon as one commits, merging every batch handed to
    it meanwhile into one statement, and hands each outcome straight back to the event loop.
    Waiting for the loop to hand over the next batch cost, per commit, a loop iteration full
    of other requests' signature checks and a GIL hand-off: most of an inbox request's
    latency at half the machine's limit (docs/performance.md).
    """

    #: Batches handed over while one is written: they wait for the thread, then go in
    #: together (at most 8 × 200 rows: 14 400 parameters, within SQLite's 32 766).
    in_flight = 8

    def __init__(self, db: Database) -> None:
        self._path = make_url(db.url).database or ""
        self._stamp = UTCDateTime().bind_processor(db.engine.dialect)
        self._handed: SimpleQueue[_Handed | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="communs-ingest", daemon=True)
        self._connection: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self, rows: list[Row], done: Done) -> None:
        if self._closed:
            raise RuntimeError("the inbox writer is closed")
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._thread.start()
        self._handed.put((rows, done))

    def _run(self) -> None:
        """Write what is handed over until ``close``."""
        while (handed := self._take()) is not None:
            outcomes = self._write(handed)
            assert self._loop is not None  # set before the thread starts
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                self._loop.call_soon_threadsafe(_report, outcomes)
        if self._connection is not None:
            self._connection.close()

    def _take(self) -> list[_Handed] | None:
        """Wait for a batch and take every other one waiting too; None once ``close`` asks."""
        handed: list[_Handed] = []
        item = self._handed.get()
        while item is not None:
            handed.append(item)
            if self._handed.empty():
                return handed
            item = self._handed.get()
        if handed:  # closing after these: write them first
            self._handed.put(None)
            return handed
        return None

    def _write(self, handed: list[_Handed]) -> list[tuple[Done, Outcome]]:
        """Insert all of ``handed`` at once; if that fails, each batch on its own."""
        try:
            written = self._insert([row for rows, _ in handed for row in rows])
        except Exception as exc:
            if len(handed) == 1:
                return [(handed[0][1], exc)]
            return [outcome for batch in handed for outcome in self._write([batch])]
        stored, gone = written
        outcomes: list[tuple[Done, Outcome]] = []
        for rows, done in handed:  # an id in two batches: stored for the first one only
            mine = {row[1] for row in rows if row[1] in stored and row[6] not in gone}
            stored -= mine
            outcomes.append((done, Written(mine, gone)))
        return outcomes

    def _insert(self, rows: list[Row]) -> Written:
        """Insert ``rows`` in one autocommitted statement (rows posted to a personal inbox only
        while its actor is live, checked by the statement itself); return what it stored.

        Every call into SQLite lets go of the GIL, and getting it back from a busy event
        loop can take a switch interval (5 ms): ``RETURNING`` would step once per row, so the
        rows stored are counted instead, and looked up (with the owners still live) only when
        some were not.
        """
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            sqlite_pragmas(self._connection, None)
        connection = self._connection
        now = self._stamp(utcnow()) if self._stamp else utcnow()
        state = ActivityState.received.value
        owned = any(row[6] is not None for row in rows)
        if owned:
            statement = _SQLITE_OWNED.format(values=", ".join([_SQLITE_OWNED_ROW] * len(rows)))
            params = [value for row in rows for value in row] + [state, now, now]
        else:
            values = ", ".join([_SQLITE_ROW] * len(rows))
            statement = f"INSERT INTO activity ({_COLUMNS}) VALUES {values} {_SKIP_KNOWN}"
            params = [value for row in rows for value in (*row[:6], state, now, now)]
        if connection.execute(statement, params).rowcount == len(rows):
            return Written({row[1] for row in rows})
        ids = [row[0] for row in rows]
        marks = ", ".join("?" * len(ids))
        found = connection.execute(f"SELECT id, uri FROM activity WHERE id IN ({marks})", ids)
        stored = dict(found.fetchall())
        # Owners of rows not stored that are not live now were refused (deletion is final).
        owners = sorted({row[6] for row in rows if row[6] is not None and row[0] not in stored})
        if not owners:
            return Written(set(stored.values()))
        marks = ", ".join("?" * len(owners))
        live = {name for (name,) in connection.execute(f"{_SQLITE_LIVE}({marks})", owners)}
        return Written(set(stored.values()), frozenset(owners) - live)

    async def close(self) -> None:
        self._closed = True
        if self._loop is not None:
            self._handed.put(None)
            await asyncio.to_thread(self._thread.join)  # the thread closes its connection
        elif self._connection is not None:  # written to without the thread (tests)
            self._connection.close()


def _report(outcomes: list[tuple[Done, Outcome]]) -> None:
    """Hand each written batch's outcome to its callback, on the event loop."""
    for done, outcome in outcomes:
        done(outcome)


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
        #: Checked-out connections with their asyncpg connection (asking for it each time
        #: goes through SQLAlchemy's greenlet bridge).
        self._idle: list[tuple[AsyncConnection, Any]] = []
        self._sending: set[asyncio.Task[None]] = set()

    def start(self, rows: list[Row], done: Done) -> None:
        task = asyncio.create_task(self._send(rows, done))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, rows: list[Row], done: Done) -> None:
        try:
            inserted = await self._insert(rows)
        except BaseException as exc:  # cancelled too: its requests must still be answered
            done(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            done(inserted)

    async def _insert(self, rows: list[Row]) -> Written:
        columns = [list(column) for column in zip(*rows, strict=True)]
        owners = columns.pop()
        owned = any(owner is not None for owner in owners)
        statement, extra = (_POSTGRES_OWNED, [owners]) if owned else (_POSTGRES, [])
        connection, driver = self._idle.pop() if self._idle else await self._checkout()
        try:
            returned = await driver.fetch(
                statement, *columns, ActivityState.received.value, utcnow(), *extra
            )
        except BaseException:
            # Taken out of the pool before awaiting, so no batch in flight picks one up.
            stale, self._idle = self._idle, []
            await self._discard([connection, *(idle for idle, _ in stale)])
            raise
        self._idle.append((connection, driver))
        if not owned:
            return Written({row[0] for row in returned})
        live = {row[0] for row in returned if row[1]}
        gone = {owner for owner in owners if owner is not None} - live
        return Written({row[0] for row in returned if not row[1]}, frozenset(gone))

    async def _checkout(self) -> tuple[AsyncConnection, Any]:
        connection = await self._db.engine.connect()
        try:
            return connection, (await connection.get_raw_connection()).driver_connection
        except BaseException:
            await self._discard([connection])
            raise

    @staticmethod
    async def _discard(connections: list[AsyncConnection]) -> None:
        for connection in connections:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                await connection.invalidate()
                await connection.close()

    async def close(self) -> None:
        """Return the writer's connections to the pool."""
        for connection, _ in self._idle:
            await connection.close()
        self._idle.clear()


class GroupCommitter:
    """Collects incoming activities and writes them in batches, as soon as a write slot frees.

    Scheduling is callbacks, not a writer task: a batch's end answers its requests and starts
    the next batch in the same step, where a task would wait a loop iteration per hand-off
    (three to five of them per batch, under load ≈ 70 % of an inbox request's latency).
    A batch that fails is written again one row at a time, so one bad row fails alone.
    """

    def __init__(self, db: Database) -> None:
        self._batches = _SqliteBatches(db) if db.is_sqlite else _PostgresBatches(db)
        self._queued: deque[_Pending] = deque()
        self._alone: deque[_Pending] = deque()  # from failed batches: one row per write
        self._writing = 0
        self._flush_soon = False
        self._drained: asyncio.Future[None] | None = None
        self._closed = False

    async def record(
        self,
        *,
        uri: str,
        type: str,
        actor_uri: str,
        object_uri: str | None,
        body: bytes,
        owner: str | None = None,
    ) -> bool:
        """Store one activity; return ``False`` if its id was already stored.

        ``owner`` names the local actor whose personal inbox it was posted to. Raises ``Gone``
        when that actor no longer takes activities (deleted), and ``RuntimeError`` once the
        committer is closed.
        """
        if self._closed:
            raise RuntimeError("the inbox writer is closed")
        object_uri = object_uri[:2048] if object_uri else None
        loop = asyncio.get_running_loop()
        pending = _Pending(
            (new_id(), uri, type[:64], actor_uri, object_uri, body, owner), loop.create_future()
        )
        self._queued.append(pending)
        if not self._flush_soon and self._writing < self._batches.in_flight:
            # At the end of this loop iteration: the requests it carries join one batch.
            self._flush_soon = True
            loop.call_soon(self._flush)
        return await pending.done

    async def close(self) -> None:
        """Stop once everything queued is written; later records are refused."""
        self._closed = True
        if self._queued or self._alone or self._writing:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained
        await self._batches.close()

    def _flush(self) -> None:
        self._flush_soon = False
        while self._writing < self._batches.in_flight and (self._alone or self._queued):
            if self._alone:
                self._start([self._alone.popleft()], alone=True)
            else:
                size = min(len(self._queued), BATCH_SIZE)
                self._start([self._queued.popleft() for _ in range(size)], alone=False)
        if self._drained is not None and not self._writing and not self._drained.done():
            self._drained.set_result(None)

    def _start(self, batch: list[_Pending], *, alone: bool) -> None:
        # The same id twice in one batch is written once; once per owner, though, since one
        # owner's inbox may refuse it and another's take it.
        rows: dict[tuple[str, str | None], Row] = {}
        for pending in batch:
            rows.setdefault((pending.uri, pending.owner), pending.row)
        self._writing += 1
        written = partial(self._written, batch, alone)
        try:
            self._batches.start(list(rows.values()), written)
        except Exception as exc:  # e.g. an executor already shut down: fail, never hang
            written(exc)

    def _written(self, batch: list[_Pending], alone: bool, outcome: Outcome) -> None:
        self._writing -= 1
        try:
            if isinstance(outcome, BaseException):
                self._failed(batch, outcome, alone=alone)
                return
            claimed: set[str] = set()  # a stored id is new for the first request carrying it
            for pending in batch:
                if pending.owner is not None and pending.owner in outcome.gone:
                    _settle(pending, Gone(f"the actor {pending.owner!r} was deleted"))
                    continue
                is_new = pending.uri in outcome.stored and pending.uri not in claimed
                claimed.add(pending.uri)
                _settle(pending, is_new)
        finally:
            self._flush()

    def _failed(self, batch: list[_Pending], error: BaseException, *, alone: bool) -> None:
        if isinstance(error, _WRITE_ERRORS) and not alone:
            log.warning("batch insert failed (%s); writing one by one", error)
            self._alone.extend(batch)
            return
        if not isinstance(error, _WRITE_ERRORS):  # unforeseen: fail these, do not leave them
            log.error("batch insert failed", exc_info=error)
        for pending in batch:  # a row that cannot be stored alone: say so
            _settle(pending, error)


def _settle(pending: _Pending, outcome: bool | BaseException) -> None:
    """Answer a request, unless it has gone (its client disconnected meanwhile)."""
    if pending.done.done():
        return
    if isinstance(outcome, BaseException):
        pending.done.set_exception(outcome)
    else:
        pending.done.set_result(outcome)
