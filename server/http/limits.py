"""Limits before work: every request body is bounded before the application reads it.

A body announced larger than the limit is refused (413) before a byte of it is read; one that
grows past it while read is cut with the same answer. The inbox reads its own body with the
same limit (``server.http.signatures.read_body``); API routes check the token before the body
(``server.http.jsonroute``). Both refusals close the connection, so the rest of an unread body
is never read.
"""

from __future__ import annotations

from typing import Final

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import Message, Receive, Scope

from federation.inbox import MAX_INBOX_BODY
from server.http.responses import error_response

__all__ = ["CLOSE", "MAX_JSON_BODY", "body_refusal", "limited"]

#: The largest JSON body of any route (media, when it comes, gets its own limit).
MAX_JSON_BODY: Final = MAX_INBOX_BODY
#: Refusals sent before the body is read close the connection: the rest is never read.
CLOSE: Final = {"Connection": "close"}


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def body_refusal(scope: Scope, *, limit: int = MAX_JSON_BODY) -> JSONResponse | None:
    """Return the 413 answer of a request whose announced body is over ``limit``, else None."""
    declared = _declared_length(scope)
    if declared is None or declared <= limit:
        return None
    return error_response(413, f"body larger than {limit} bytes", CLOSE)


def limited(receive: Receive, *, limit: int = MAX_JSON_BODY) -> Receive:
    """Return ``receive``, raising a 413 ``HTTPException`` once the body passes ``limit``."""
    size = 0

    async def receiving() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise HTTPException(413, f"body larger than {limit} bytes", CLOSE)
        return message

    return receiving
