"""The clock of a process: the time, and which day it is, in UTC.

Deadlines are UTC dates, so "today" must be the UTC day whatever the server's time zone is. One
``Clock`` is built by ``create_app`` (or given to it) and handed to the routes, the workers and
the chores, so a test sets the date by giving a ``FrozenClock``, never by patching ``datetime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = ["Clock", "FrozenClock", "utcnow"]


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC (the default of row timestamps)."""
    return datetime.now(UTC)


class Clock:
    """The system's clock, read in UTC."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        return utcnow()

    def today(self) -> date:
        """Return the current UTC date: the day deadlines are compared with."""
        return self.now().date()


class FrozenClock(Clock):
    """A clock that shows a set time until it is moved (tests, and replays)."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = (at or utcnow()).astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative ``delta``)."""
        self.at += delta
