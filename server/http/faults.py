"""Unexpected errors, in the one JSON error shape: 503 while the database is away, else 500.

Starlette answers an unhandled error with plain-text ``Internal Server Error``; every answer
of ours is JSON ``{"detail": …}``. While the database cannot be used (dropped, unreachable,
read-only), the answer is 503 with ``Retry-After``, and the log says so at most once a minute
instead of a traceback per request. Other errors are bugs: 500, with their traceback logged.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from fastapi.responses import JSONResponse

from server.http.responses import error_response
from server.storage.outage import database_unavailable

__all__ = ["UNAVAILABLE_LOG_SECONDS", "fault_response"]

log = logging.getLogger("communs.errors")

#: While the database is away, one log line per this many seconds, whatever the traffic.
UNAVAILABLE_LOG_SECONDS: Final = 60.0
_last_logged = [-UNAVAILABLE_LOG_SECONDS]


def fault_response(exc: BaseException, *, log_bugs: bool = True) -> JSONResponse:
    """Return the answer to an unexpected error, logging it (a bug's traceback only when
    ``log_bugs``: the server logs those it sees itself)."""
    if database_unavailable(exc):
        now = time.monotonic()
        if now - _last_logged[0] >= UNAVAILABLE_LOG_SECONDS:
            _last_logged[0] = now
            log.warning("answering 503: the database is unavailable (%s)", _first_line(exc))
        return error_response(
            503, "the database is unavailable; try again later", {"Retry-After": "30"}
        )
    if log_bugs:
        log.error("unexpected error", exc_info=exc)
    return error_response(500, "internal server error")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.split("\n", 1)[0][:300]
