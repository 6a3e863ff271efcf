"""When the database goes away: telling it apart, backing off, and saying so once.

A worker loop that fails on every pass would try four times a second and log a traceback each
time (6 000 lines in 10 s once PostgreSQL's database was dropped). ``Outage`` doubles the wait
after each failure, up to a cap, and logs one line when the trouble starts and one when it ends.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    ProgrammingError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeoutError,
)

__all__ = ["FIRST_DELAY", "MAX_DELAY", "Outage", "database_unavailable"]

#: The first wait after a failure, and the longest one (seconds).
FIRST_DELAY: Final = 0.25
MAX_DELAY: Final = 30.0


#: PostgreSQL's SQLSTATE classes and codes that say the database cannot be used now:
#: connection, insufficient resources, operator intervention (a dropped or shut down
#: database), system error; no such database; a read-only transaction.
_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_UNAVAILABLE_CODES = frozenset({"3D000", "25006"})
#: What SQLite says when its file cannot be used now.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "readonly database",
    "unable to open",
    "disk i/o error",
    "no such table",
    "malformed",
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now (gone, unreachable, read-only, out
    of connections), rather than that a statement was wrong (a constraint, a value, a trigger
    refusing a row: the activity's fault, kept and retried as such)."""
    if isinstance(exc, (PoolTimeoutError, OSError)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, (IntegrityError, DataError, ProgrammingError)):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _UNAVAILABLE_CLASSES or sqlstate in _UNAVAILABLE_CODES
    message = str(exc.orig).lower()
    return isinstance(exc, InterfaceError) or any(s in message for s in _SQLITE_UNAVAILABLE)


class Outage:
    """The back-off of one loop that needs the database, and its two log lines."""

    def __init__(
        self, log: logging.Logger, what: str, *, first: float = FIRST_DELAY, cap: float = MAX_DELAY
    ) -> None:
        self._log = log
        self._what = what
        self._first = first
        self._cap = cap
        self._delay = 0.0
        self._since: float | None = None

    @property
    def down(self) -> bool:
        """Whether the last attempt failed."""
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Record a failure; return how long to wait before the next attempt (seconds)."""
        if self._since is None:
            self._since = time.monotonic()
            self._delay = self._first
            if database_unavailable(exc):
                self._log.warning(
                    "%s: the database is unavailable (%s); retrying with back-off up to %.0f s",
                    self._what,
                    _summary(exc),
                    self._cap,
                )
            else:
                self._log.error("%s failed; retrying with back-off", self._what, exc_info=exc)
        else:
            self._delay = min(self._delay * 2, self._cap)
        return self._delay

    def succeeded(self) -> None:
        """Record a success, logging the end of a failure run."""
        if self._since is not None:
            self._log.warning(
                "%s: working again after %.1f s", self._what, time.monotonic() - self._since
            )
            self._since = None


def _summary(exc: BaseException) -> str:
    """Return the first line of an error, without SQLAlchemy's background link."""
    origin = getattr(exc, "orig", None) or exc
    return f"{type(origin).__name__}: {str(origin).splitlines()[0] if str(origin) else ''}"[:300]
