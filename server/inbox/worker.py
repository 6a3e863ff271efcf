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

from sqlalchemy import update

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

    async def run_once(self, limit: int = 50) -> int:
        """Process one batch of due activities; return how many."""
        async with self.db.session() as session:
            rows = await claim_due(
                session,
                Activity,
                where=[Activity.direction == "in", Activity.state == ActivityState.received],
                columns=[Activity.id, Activity.body, Activity.attempts],
                now=self.clock.now(),
                limit=limit,
            )
        ordered: list[Any] = sorted(rows, key=lambda r: r[0])
        for activity_id, body, attempts in ordered:
            await self._process(activity_id, body, attempts)
        if rows:
            self.on_published()
        return len(rows)

    async def _process(self, activity_id: str, body: bytes, attempts: int) -> None:
        values: dict[str, Any] = {"attempts": attempts + 1, "locked_until": None}
        try:
            async with self.db.session() as session:
                done = await process_activity(
                    session, self.urls, json.loads(body), today=self.clock.today()
                )
            values["state"] = ActivityState.ignored if done.ignored else ActivityState.processed
            values["error"] = done.reason  # why it was ignored
        except Exception as exc:  # kept on the row and retried; never lost
            if database_unavailable(exc):  # not the activity's fault: no attempt counted
                raise
            log.exception("processing activity %s failed", activity_id)
            retry_at = next_attempt_at(attempts + 1, now=self.clock.now())
            values["error"] = f"{type(exc).__name__}: {exc}"[:2000]
            if retry_at is None or attempts + 1 >= INBOX_MAX_ATTEMPTS:
                values["state"] = ActivityState.errored
            else:
                values["next_attempt_at"] = retry_at
        async with self.db.session() as session:
            await session.execute(
                update(Activity).where(Activity.id == activity_id).values(**values)
            )
            await session.commit()
