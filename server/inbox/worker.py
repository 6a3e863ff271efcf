"""The inbox worker: processes stored incoming activities, in arrival order, with a lease.

It runs inside ``communs serve`` (``COMMUNS_RUN_WORKERS``) or alone in ``communs worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.retry import next_attempt_at
from schemas.states import ActivityState
from server.clock import Clock
from server.inbox.processing import Processed, process_activity
from server.inbox.together import Claimed, Member, apply_together, plan
from server.storage.db import Database
from server.storage.models import Activity
from server.storage.outage import Outage, database_unavailable
from server.storage.queues import POLL_SECONDS, claim_due
from server.urls import Urls

__all__ = ["InboxWorker"]

log = logging.getLogger("communs.workers")

INBOX_MAX_ATTEMPTS = 8

#: Opens the session a step runs in: a savepoint of the batch, or a transaction of its own.
Opener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


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
        claimed = [Claimed(*cast(tuple[str, bytes, int], tuple(row))) for row in rows]
        steps = plan(sorted(claimed, key=lambda row: row.activity_id))
        if self.db.is_sqlite:
            await self._one_by_one(steps)
        else:
            await self._in_one_transaction(steps)
        self.on_published()
        return len(rows)

    async def _in_one_transaction(self, steps: list[Claimed | list[Member]]) -> None:
        """PostgreSQL: the batch is one transaction, each step in a savepoint of it (what
        its handlers commit is released into the batch, what fails is rolled back alone), and
        every outcome is written by one statement before the one commit. A commit per activity
        and per outcome was most of the worker's time (docs/performance.md)."""
        async with self.db.engine.connect() as connection:
            await connection.begin()

            def savepoint() -> AsyncSession:
                return AsyncSession(
                    bind=connection,
                    join_transaction_mode="create_savepoint",
                    expire_on_commit=False,
                )

            outcomes = []
            for step in steps:
                outcomes += await self._step(savepoint, step, record=False)
            await connection.execute(_OUTCOME, outcomes)
            await connection.commit()

    async def _one_by_one(self, steps: list[Claimed | list[Member]]) -> None:
        """SQLite: each step in transactions of its own, its outcomes written in the last.

        A savepoint would open a transaction whose first write fails at once whenever the
        inbox's writer committed since it began (SQLite gives such a stale snapshot no wait).
        """
        for step in steps:
            await self._step(self.db.sessions, step, record=True)

    async def _step(
        self, opener: Opener, step: Claimed | list[Member], *, record: bool
    ) -> list[dict[str, Any]]:
        """Apply a step (one activity, or a group together); return the outcomes, written
        in the step's own transaction when ``record``."""
        if isinstance(step, Claimed):
            return [await self._alone(opener, step, record=record)]
        async with opener() as session:
            try:
                done = await apply_together(session, self.urls, step)
                outcomes = [
                    self._values(member.claimed, applied)
                    for member, applied in zip(step, done, strict=True)
                    if applied is not None
                ]
                if record and outcomes:
                    await (await session.connection()).execute(_OUTCOME, outcomes)
                await session.commit()
            except Exception as exc:
                if database_unavailable(exc):
                    raise
                log.warning("a group of %d activities failed (%s): each alone", len(step), exc)
                await session.rollback()
                done = [None] * len(step)
                outcomes = []
        for member, applied in zip(step, done, strict=True):
            if applied is None:  # an Undo of something else, or the group failed
                outcomes.append(await self._alone(opener, member.claimed, record=record))
        return outcomes

    async def _alone(self, opener: Opener, claimed: Claimed, *, record: bool) -> dict[str, Any]:
        """Apply one activity in a session of its own; return its outcome."""
        async with opener() as session:
            values = await self._apply(session, claimed)
            if record:
                await (await session.connection()).execute(_OUTCOME, [values])
                await session.commit()
        return values

    def _values(self, claimed: Claimed, done: Processed) -> dict[str, Any]:
        """Return the row's new values once ``done`` was applied."""
        return {
            "activity_id": claimed.activity_id,
            "attempts": claimed.attempts + 1,
            "state": ActivityState.ignored if done.ignored else ActivityState.processed,
            "error": done.reason,  # why it was ignored
            "next_attempt_at": self.clock.now(),
        }

    async def _apply(self, session: AsyncSession, claimed: Claimed) -> dict[str, Any]:
        """Apply one activity; return its row's new values (a failure is kept, retried)."""
        attempts = claimed.attempts
        try:
            done = await process_activity(
                session, self.urls, json.loads(claimed.body), today=self.clock.today()
            )
            await session.commit()
            return self._values(claimed, done)
        except Exception as exc:  # kept on the row and retried; never lost
            if database_unavailable(exc):  # not the activity's fault: no attempt counted
                raise
            log.exception("processing activity %s failed", claimed.activity_id)
            await session.rollback()
            retry_at = next_attempt_at(attempts + 1, now=self.clock.now())
            values: dict[str, Any] = {
                "activity_id": claimed.activity_id,
                "attempts": attempts + 1,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "state": ActivityState.received,
                "next_attempt_at": retry_at,
            }
            if retry_at is None or attempts + 1 >= INBOX_MAX_ATTEMPTS:
                values["state"] = ActivityState.errored
                values["next_attempt_at"] = self.clock.now()
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
