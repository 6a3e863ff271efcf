"""Periodic chores of a worker: announce calls whose deadline passed, forget old keys, and
drop the sign-in secrets that can no longer be used (sessions, links, codes, invitations).

Reads already show an expired call as closed; this sends the ``Update`` Mastodon users see.
Several workers may run it at once: each call is closed once (its stored status changes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.clock import Clock
from server.domain.funding import close_expired_calls
from server.storage.accounts import (
    AccountLink,
    AccountSession,
    Invitation,
    LoginThrottle,
    OAuthCode,
)
from server.storage.db import Database
from server.storage.models import IDEMPOTENCY_KEY_LIFETIME, IdempotencyRecord
from server.urls import Urls

__all__ = ["INTERVAL_SECONDS", "housekeep", "purge_spent_secrets", "run_housekeeping"]

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
        await purge_spent_secrets(session, now)
        await session.commit()
    return closed


async def purge_spent_secrets(session: AsyncSession, now: datetime) -> None:
    """Delete sessions, links, codes and invitations that expired or were used a day ago or
    more, and sign-in failure counts a day old that impose no wait; the caller commits."""
    day_ago = now - timedelta(days=1)
    for table in (AccountSession, AccountLink, OAuthCode, Invitation):
        stamp = "revoked_at" if table is AccountSession else "used_at"
        await session.execute(
            delete(table).where(
                or_(col(table.expires_at) < day_ago, col(getattr(table, stamp)) < day_ago)
            )
        )
    await session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.updated_at) < day_ago,
            or_(LoginThrottle.blocked_until == None, col(LoginThrottle.blocked_until) < now),
        )
    )


async def run_housekeeping(
    db: Database,
    urls: Urls,
    clock: Clock,
    stop: asyncio.Event,
    *,
    on_published: Callable[[], None],
    chores: Sequence[Callable[[], Awaitable[object]]] = (),
) -> None:
    """Run ``housekeep``, then ``chores`` (those of layers above: pictures), now and then
    every hour until ``stop`` is set."""
    while not stop.is_set():
        try:
            if await housekeep(db, urls, clock):
                on_published()
            for chore in chores:
                await chore()
        except Exception:  # a chore failing must not stop the worker; retried next hour
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), INTERVAL_SECONDS)
