"""Paged OrderedCollections: followers, following, outbox, featured, replies, likes, shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.render import collection_document, page_document
from server.storage.paging import keyset_page

__all__ = ["PAGE_SIZE", "collection_or_page"]

PAGE_SIZE = 40


async def collection_or_page(
    session: AsyncSession,
    uri: str,
    *,
    page: str | None,
    query: Select[Any],
    key: ColumnElement[Any],
    item: Callable[[Any], Any] = lambda row: row[0],
    total: int | None = None,
) -> dict[str, Any]:
    """Return the collection (``page`` absent) or one of its pages of ``query`` by ``key``.

    ``page`` is ``"true"`` for the first page or an opaque cursor for the following ones.
    ``total`` is counted from ``query`` unless the caller knows it already.
    """
    if total is None:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = int((await session.execute(counted)).scalar_one())
    if page is None:
        return collection_document(uri, total, first=f"{uri}?page=true")
    cursor = None if page == "true" else page
    items, next_cursor = await keyset_page(
        session, query, key=key, cursor=cursor, limit=PAGE_SIZE, item=item
    )
    page_uri = f"{uri}?page={page}"
    next_uri = f"{uri}?page={next_cursor}" if next_cursor else None
    return page_document(page_uri, part_of=uri, total=total, items=items, next_uri=next_uri)
