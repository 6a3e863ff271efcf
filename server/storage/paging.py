"""Keyset pages: one page of a query, newest first, and the cursor of the next one.

Every list — the JSON API's, the AS2 collections', the deliveries' — pages the same way: by a
unique key that grows with creation (ids are sortable by creation time), never by ``OFFSET``,
so a page costs the same however deep it is and rows added meanwhile shift nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.db import parse_id

__all__ = ["WINDOW", "keyset_page", "newest_rows"]

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


#: How many of the newest rows a filtered page is first looked for in.
WINDOW = 2000


async def newest_rows(
    session: AsyncSession,
    build: Callable[[Any], Select[Any]],
    *,
    key: ColumnElement[Any],
    after: Any,
    limit: int,
    window: int = WINDOW,
) -> list[Any]:
    """Return up to ``limit`` rows of ``build(…)``, newest ``key`` first, below ``after``.

    A planner cannot know whether a filter keeps most rows or a few, and each guess is slow
    the other way: reading the newest rows and checking each finds a common word at once but
    reads the whole table for a rare one; reading the filter's index and sorting does the
    opposite (both seen on 100 000 rows, docs/performance.md). So the page is looked for among
    the ``window`` newest rows first (bounded, whatever the filters), and only when they do
    not hold a page, among the older ones by the filters' own indexes, unordered, keeping the
    newest. ``build(since)`` returns the filtered query of whole rows; ``since`` is the
    window's lowest key as an SQL expression (None: no window), which a filter may use to
    read less. A page found in the window costs one query.
    """
    below = [key < after] if after is not None else []
    boundary = (
        select(key).where(*below).order_by(key.desc()).offset(window - 1).limit(1)
    ).scalar_subquery()
    lowest = 0 if isinstance(key.type, Integer) else ""
    start = func.coalesce(boundary, lowest)  # fewer rows than a window: all of them
    recent = build(start).where(*below, key >= start).order_by(key.desc()).limit(limit)
    rows = list((await session.execute(recent)).scalars())
    if len(rows) == limit:
        return rows
    start_key = await session.scalar(select(boundary))
    if start_key is None:
        return rows
    older = build(None).where(key < start_key).with_only_columns(key)
    keys = sorted((await session.execute(older)).scalars(), reverse=True)[: limit - len(rows)]
    if keys:
        found = build(None).where(key.in_(keys)).order_by(key.desc())
        rows += list((await session.execute(found)).scalars())
    return rows
