"""Paged OrderedCollections: followers, following, outbox, featured (keyset pagination)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.render import collection_document, page_document
from server.storage.db import parse_id

__all__ = ["PAGE_SIZE", "collection_or_page", "keyset_page"]

PAGE_SIZE = 40

#: (cursor, limit) → (items, next cursor or None)
PageLoader = Callable[[str | None, int], Awaitable[tuple[list[Any], str | None]]]


async def collection_or_page(
    uri: str, *, total: int, page: str | None, load: PageLoader
) -> dict[str, Any]:
    """Return the collection (``page`` absent) or one of its pages.

    ``page`` is ``"true"`` for the first page or an opaque cursor for the following ones.
    """
    if page is None:
        return collection_document(uri, total, first=f"{uri}?page=true")
    cursor = None if page == "true" else page
    items, next_cursor = await load(cursor, PAGE_SIZE)
    page_uri = f"{uri}?page={page}"
    next_uri = f"{uri}?page={next_cursor}" if next_cursor else None
    return page_document(page_uri, part_of=uri, total=total, items=items, next_uri=next_uri)


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    *,
    key: ColumnElement[Any],
    cursor: str | None,
    limit: int,
    item: Callable[[Any], Any],
) -> tuple[list[Any], str | None]:
    """Return one page of ``query`` ordered by ``key`` descending, and the next cursor.

    The query's first selected column must be ``key``; a cursor that does not parse as the
    key's type gives an empty page rather than an error.
    """
    if cursor is not None:
        if isinstance(key.type, Integer):
            if (number := parse_id(cursor)) is None:
                return [], None
            query = query.where(key < number)
        else:
            query = query.where(key < cursor)
    rows = (await session.execute(query.order_by(key.desc()).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [item(row) for row in rows], (str(rows[-1][0]) if more else None)
