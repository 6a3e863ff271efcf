"""Response classes for the media types we serve."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse, Response

__all__ = ["AS2_MEDIA_TYPE", "AS2Response", "JRDResponse", "actor_headers", "error_response"]

AS2_MEDIA_TYPE = "application/activity+json"


class AS2Response(Response):
    """ActivityStreams bytes, already serialised; varies on Accept (content negotiation)."""

    media_type = AS2_MEDIA_TYPE

    def __init__(self, content: bytes, status_code: int = 200, **kwargs: Any) -> None:
        super().__init__(content, status_code=status_code, **kwargs)
        self.headers.setdefault("vary", "Accept")


def actor_headers(authorized_fetch: bool) -> dict[str, str] | None:
    """The headers of an actor document: in authorized-fetch mode it depends on the request's
    signature too (whole, or key-only), which caches must know."""
    return {"vary": "Accept, Signature"} if authorized_fetch else None


class JRDResponse(Response):
    """A WebFinger (JRD) document."""

    media_type = "application/jrd+json"


def error_response(
    status: int, detail: object, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Return the one shape of every error: JSON ``{"detail": …}`` with its status."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)
