"""Paging on the wire: the ``limit`` of bare JSON lists and the ``Link`` to their next page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

__all__ = ["Limit", "link_to_next"]

#: Items per page of a bare-list read (follows, followers, requests, own pledges, deliveries).
Limit = Annotated[int, Query(ge=1, le=200)]


def link_to_next(request: Request, response: Response, cursor: str | None) -> None:
    """Point a bare JSON list's reader to its next page, if any, as Mastodon's API does:
    ``Link: <…?cursor=…>; rel="next"``."""
    if cursor is not None:
        after = request.url.include_query_params(cursor=cursor)
        response.headers["Link"] = f'<{after}>; rel="next"'
