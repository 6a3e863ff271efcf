"""Limits before work: every request body is bounded before the application reads it.

A body announced larger than the limit is refused (413) before a byte of it is read; one that
grows past it while read is cut with the same answer. The inbox reads its own body with the
same limit (``server.http.signatures.read_body``); API routes check the token before the body
(``server.http.jsonroute``). Both refusals close the connection, so the rest of an unread body
is never read.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import Message, Receive, Scope

from federation.inbox import MAX_INBOX_BODY
from server.http.responses import error_response

__all__ = [
    "CLOSE",
    "MAX_JSON_BODY",
    "MAX_PICTURE",
    "MAX_UPLOAD_BODY",
    "body_limit",
    "body_refusal",
    "limited",
]

#: The largest JSON body of any route.
MAX_JSON_BODY: Final = MAX_INBOX_BODY
#: The largest picture uploaded (``server.media``).
MAX_PICTURE: Final = 8 * 1024 * 1024
#: The largest body of an upload: the picture and its form's few small fields.
MAX_UPLOAD_BODY: Final = MAX_PICTURE + 64 * 1024
#: Where pictures are uploaded, through the API and the web app's forms.
_UPLOADS: Final = re.compile(
    r"/api/v1/actors/[^/]+/(?:avatar|header)"
    r"|/api/v1/(?:projects|funding-calls)/[^/]+/(?:logo|media)"
    r"|/app/@[^/]+/(?:(?:projects|calls)/[^/]+/)?pictures"
)
#: Refusals sent before the body is read close the connection: the rest is never read.
CLOSE: Final = {"Connection": "close"}


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def body_limit(scope: Scope) -> int:
    """Return the largest body the request's route reads: a picture's for uploads."""
    return MAX_UPLOAD_BODY if _UPLOADS.fullmatch(scope["path"]) else MAX_JSON_BODY


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
