"""Sign-in throttling, per account and per address: after ``N`` failures in a row, each new
failure imposes a wait that doubles, from one minute up to an hour.

Attempts made during a wait are refused without looking at the password and do not lengthen
it. A success clears the account's count (not the address's: one person's good password must
not reset an attacker's count); a count left alone for a day starts again from zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.storage.accounts import LoginThrottle

__all__ = [
    "ACCOUNT_FAILURES",
    "ADDRESS_FAILURES",
    "FIRST_WAIT",
    "LONGEST_WAIT",
    "account_key",
    "address_key",
    "clear_failures",
    "record_failure",
    "wait_left",
]

#: Failures allowed in a row before the first wait, per account and per address.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
_FORGET_AFTER = timedelta(days=1)


def account_key(email: str) -> str:
    """Return the throttle key of an account (by the email typed, known or not)."""
    return f"account:{email.strip().lower()}"[:300]


def address_key(ip: str) -> str:
    """Return the throttle key of a client address."""
    return f"ip:{ip}"[:300]


def _wait(failures: int, allowed: int) -> timedelta | None:
    if failures < allowed:
        return None
    doublings = min(failures - allowed, 6)
    wait: timedelta = FIRST_WAIT * (1 << doublings)
    return min(wait, LONGEST_WAIT)


async def wait_left(session: AsyncSession, *, email: str, ip: str, now: datetime) -> timedelta:
    """Return how long sign-ins for ``email`` or from ``ip`` must still wait (zero: none)."""
    rows = (
        await session.execute(
            select(LoginThrottle.blocked_until).where(
                col(LoginThrottle.key).in_([account_key(email), address_key(ip)])
            )
        )
    ).scalars()
    until = max((moment for moment in rows if moment is not None), default=now)
    return max(until - now, timedelta(0))


async def _count(session: AsyncSession, key: str, allowed: int, now: datetime) -> None:
    """Add one failure to ``key`` in SQL (concurrent failures all count) and set its wait."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = LoginThrottle.key == key
    await session.execute(
        update(LoginThrottle)
        .where(row, col(LoginThrottle.updated_at) < now - _FORGET_AFTER)
        .values(failures=0)
    )
    await session.execute(
        update(LoginThrottle).where(row).values(failures=LoginThrottle.failures + 1, updated_at=now)
    )
    failures = int(await session.scalar(select(LoginThrottle.failures).where(row)) or 0)
    wait = _wait(failures, allowed)
    if wait is not None:
        await session.execute(update(LoginThrottle).where(row).values(blocked_until=now + wait))


async def record_failure(session: AsyncSession, *, email: str, ip: str, now: datetime) -> None:
    """Count a failed sign-in for the account and the address; the caller commits."""
    await _count(session, account_key(email), ACCOUNT_FAILURES, now)
    await _count(session, address_key(ip), ADDRESS_FAILURES, now)


async def clear_failures(session: AsyncSession, *, email: str) -> None:
    """Forget an account's failures after a good sign-in; the caller commits."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))
