"""Leased claiming of due rows, shared by the delivery and inbox workers.

A claim sets ``locked_until`` in the same statement that selects the rows; on PostgreSQL the
selection uses ``FOR UPDATE SKIP LOCKED`` so any number of worker processes share one queue
without taking the same row. A process that dies leaves leases that simply expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

__all__ = ["LEASE", "POLL_SECONDS", "any_due", "claim_due"]

LEASE = timedelta(minutes=5)
#: An idle worker looks for due rows this often (work enqueued by another process, retries
#: coming due); in-process publishing wakes it at once.
POLL_SECONDS = 0.25


async def claim_due(
    session: AsyncSession,
    table: Any,
    *,
    where: Sequence[Any],
    columns: list[Any],
    now: datetime,
    limit: int,
    lease: timedelta = LEASE,
) -> list[Row[Any]]:
    """Lease up to ``limit`` due rows of ``table`` and return ``columns`` of each; commits."""
    due = (
        _due(table, where, now)
        .order_by(table.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(table)
        .where(col(table.id).in_(due))
        .values(locked_until=now + lease)
        .returning(*columns)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.execute(statement)).all())
    await session.commit()
    return rows


async def any_due(
    session: AsyncSession, table: Any, *, where: Sequence[Any], now: datetime
) -> bool:
    """Whether ``claim_due`` would find a row: a read, which takes no lock (SQLite WAL, PG)."""
    return await session.scalar(_due(table, where, now).limit(1)) is not None


def _due(table: Any, where: Sequence[Any], now: datetime) -> Select[Any]:
    """Select the ids of ``table``'s rows matching ``where`` that are due and not leased."""
    return select(table.id).where(
        *where,
        col(table.next_attempt_at) <= now,
        (table.locked_until == None) | (col(table.locked_until) < now),
    )
