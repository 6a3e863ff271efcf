"""The inbox worker: processes stored incoming activities, in arrival order, with a lease.

It runs inside ``communs serve`` (``COMMUNS_RUN_WORKERS``) or alone in ``communs worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.retry import next_attempt_at
from schemas.states import ActivityState
from server.clock import Clock
from server.inbox.processing import process_activity
from server.storage.db import Database
from server.storage.models import Activity
from server.storage.outage import Outage, database_unavailable
from server.storage.queues import POLL_SECONDS, claim_due
from server.urls import Urls

__all__ = ["InboxWorker"]

log = logging.getLogger("communs.workers")

INBOX_MAX_ATTEMPTS = 8


class InboxWorker:
    """Processes stored incoming activities in arrival order, keeping state and errors."""

    def __init__(
        self,
        db: Database,
        urls: Urls,
        *,
        on_published: Callable[[], None],
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.urls = urls
        self.on_published = on_published
        self.clock = clock or Clock()
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; while the database fails, back off (and say so once)."""
        outage = Outage(log, "inbox worker")
        while not stop.is_set():
            self.wake.clear()
            try:
                found = await self.run_once()
            except Exception as exc:  # the database is away: rows stay leased, none is lost
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), outage.failed(exc))
                continue
            outage.succeeded()
            if found:
                continue
            waiters = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self, limit: int = 100) -> int:
        """Process one batch of due activities, in arrival order; return how many."""
        async with self.db.session() as session:
            rows = await claim_due(
                session,
                Activity,
                where=[Activity.direction == "in", Activity.state == ActivityState.received],
                columns=[Activity.id, Activity.body, Activity.attempts],
                now=self.clock.now(),
                limit=limit,
            )
        if not rows:
            return 0
        ordered: list[Any] = sorted(rows, key=lambda r: r[0])
        if self.db.is_sqlite:
            await self._one_by_one(ordered)
        else:
            await self._in_one_transaction(ordered)
        self.on_published()
        return len(rows)

    async def _in_one_transaction(self, rows: list[Any]) -> None:
        """PostgreSQL: the batch is one transaction, each activity in a savepoint of it (what
        its handlers commit is released into the batch, what fails is rolled back alone), and
        every outcome is written by one statement before the one commit. A commit per activity
        and per outcome was most of the worker's time (docs/performance.md)."""
        async with self.db.engine.connect() as connection:
            await connection.begin()
            outcomes = []
            for activity_id, body, attempts in rows:
                async with AsyncSession(
                    bind=connection,
                    join_transaction_mode="create_savepoint",
                    expire_on_commit=False,
                ) as session:
                    outcomes.append(await self._apply(session, activity_id, body, attempts))
            await connection.execute(_OUTCOME, outcomes)
            await connection.commit()

    async def _one_by_one(self, rows: list[Any]) -> None:
        """SQLite: each activity in transactions of its own, its outcome written in the last.

        A savepoint would open a transaction whose first write fails at once whenever the
        inbox's writer committed since it began (SQLite gives such a stale snapshot no wait).
        """
        for activity_id, body, attempts in rows:
            async with self.db.session() as session:
                outcome = await self._apply(session, activity_id, body, attempts)
                await (await session.connection()).execute(_OUTCOME, [outcome])
                await session.commit()

    async def _apply(
        self, session: AsyncSession, activity_id: str, body: bytes, attempts: int
    ) -> dict[str, Any]:
        """Apply one activity; return its row's new values (a failure is kept, retried)."""
        values: dict[str, Any] = {
            "activity_id": activity_id,
            "attempts": attempts + 1,
            "error": None,
            "next_attempt_at": self.clock.now(),
        }
        try:
            done = await process_activity(
                session, self.urls, json.loads(body), today=self.clock.today()
            )
            await session.commit()
            values["state"] = ActivityState.ignored if done.ignored else ActivityState.processed
            values["error"] = done.reason  # why it was ignored
        except Exception as exc:  # kept on the row and retried; never lost
            if database_unavailable(exc):  # not the activity's fault: no attempt counted
                raise
            log.exception("processing activity %s failed", activity_id)
            await session.rollback()
            retry_at = next_attempt_at(attempts + 1, now=self.clock.now())
            values["error"] = f"{type(exc).__name__}: {exc}"[:2000]
            if retry_at is None or attempts + 1 >= INBOX_MAX_ATTEMPTS:
                values["state"] = ActivityState.errored
            else:
                values["state"] = ActivityState.received
                values["next_attempt_at"] = retry_at
        return values


#: An activity's outcome, by its id: run with one set of values per activity.
_OUTCOME = (
    update(Activity)
    .where(Activity.id == bindparam("activity_id"))
    .values(
        state=bindparam("state"),
        attempts=bindparam("attempts"),
        locked_until=None,
        error=bindparam("error"),
        next_attempt_at=bindparam("next_attempt_at"),
    )
)
