"""Keyset pages: one page of a query, newest first, and the cursor of the next one.

Every list — the JSON API's, the AS2 collections', the deliveries' — pages the same way: by a
unique key that grows with creation (ids are sortable by creation time), never by ``OFFSET``,
so a page costs the same however deep it is and rows added meanwhile shift nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.db import parse_id

__all__ = ["keyset_page"]

T = TypeVar("T")


def _first(row: Any) -> Any:
    return row[0]


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    *,
    key: ColumnElement[Any],
    cursor: str | int | None,
    limit: int,
    item: Callable[[Any], T] = _first,
) -> tuple[list[T], str | None]:
    """Return one page of ``query`` ordered by ``key`` descending, and the next cursor (None
    on the last page).

    ``key`` is added as the query's last column; ``item`` turns a row into what the page holds
    (its first column by default). A cursor that does not parse as the key's type gives an
    empty page rather than an error.
    """
    if cursor is not None:
        if isinstance(key.type, Integer):
            if (number := parse_id(str(cursor))) is None:
                return [], None
            query = query.where(key < number)
        else:
            query = query.where(key < str(cursor))
    ordered = query.add_columns(key).order_by(key.desc()).limit(limit + 1)
    rows = (await session.execute(ordered)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [item(row) for row in rows], (str(rows[-1][-1]) if more else None)
