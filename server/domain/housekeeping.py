"""Periodic chores of a worker: announce calls whose deadline passed, forget old keys.

Reads already show an expired call as closed; this sends the ``Update`` Mastodon users see.
Several workers may run it at once: each call is closed once (its stored status changes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import delete

from server.clock import Clock
from server.domain.funding import close_expired_calls
from server.storage.db import Database
from server.storage.models import IDEMPOTENCY_KEY_LIFETIME, IdempotencyRecord
from server.urls import Urls

__all__ = ["INTERVAL_SECONDS", "housekeep", "run_housekeeping"]

log = logging.getLogger("communs.housekeeping")

INTERVAL_SECONDS = 3600.0


async def housekeep(db: Database, urls: Urls, clock: Clock) -> int:
    """Close expired calls (publishing their Update) and purge expired idempotency keys."""
    now = clock.now()
    async with db.session() as session:
        closed = await close_expired_calls(session, urls, today=now.date())
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.created_at < now - IDEMPOTENCY_KEY_LIFETIME
            )
        )
        await session.commit()
    return closed


async def run_housekeeping(
    db: Database,
    urls: Urls,
    clock: Clock,
    stop: asyncio.Event,
    *,
    on_published: Callable[[], None],
) -> None:
    """Run ``housekeep`` now and then every hour until ``stop`` is set."""
    while not stop.is_set():
        try:
            if await housekeep(db, urls, clock):
                on_published()
        except Exception:  # a chore failing must not stop the worker; retried next hour
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), INTERVAL_SECONDS)
