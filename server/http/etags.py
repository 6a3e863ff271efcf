"""ETags on reads: the tag is a hash of the exact bytes served, ``If-None-Match`` → 304."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

__all__ = ["etag_of", "json_with_etag", "not_modified", "with_etag"]


def etag_of(body: bytes) -> str:
    """Return the strong ETag of a body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or tag in candidates


def not_modified(request: Request, tag: str, vary: str | None) -> Response | None:
    """Return a bodiless 304 when the client already has the version ``tag``, else None."""
    if not _matches(request.headers.get("if-none-match"), tag):
        return None
    headers = {"ETag": tag}
    if vary:
        headers["Vary"] = vary
    return Response(status_code=304, headers=headers)


def with_etag(request: Request, response: Response) -> Response:
    """Return ``response`` with its ETag, or a bodiless 304 when the client already has it."""
    tag = etag_of(bytes(response.body))
    unchanged = not_modified(request, tag, response.headers.get("vary"))
    if unchanged is not None:
        return unchanged
    response.headers["ETag"] = tag
    return response


def json_with_etag(request: Request, payload: BaseModel) -> Response:
    """Return a JSON API read with its ETag (or 304)."""
    body = payload.model_dump_json().encode()
    return with_etag(request, Response(body, media_type="application/json"))
