"""Filters and keyset pages shared by the lists of the JSON API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Protocol, TypeVar, cast

from fastapi import Query, Request, Response
from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import col

from server.storage.models import Actor, ObjectTag

__all__ = ["Limit", "by_actor", "by_tag", "by_text", "keyset", "link_to_next", "one_page"]

#: Items per page of a bare-list read (follows, followers, requests, own pledges).
Limit = Annotated[int, Query(ge=1, le=200)]

T = TypeVar("T")


def by_actor(actor_column: Any, handle: str, local_domain: str) -> ColumnElement[bool]:
    """Return the condition "owned by ``user`` or ``user@domain``" (local domain by default)."""
    username, _, domain = handle.lstrip("@").partition("@")
    return col(actor_column).in_(
        select(Actor.id).where(Actor.username == username, Actor.domain == (domain or local_domain))
    )


def by_tag(uri_column: Any, tag: str) -> ColumnElement[bool]:
    """Return the condition "carries hashtag ``tag``" (case-insensitive, ``#`` optional)."""
    name = tag.lstrip("#").lower()
    return col(uri_column).in_(select(ObjectTag.object_uri).where(ObjectTag.tag == name))


def by_text(columns: Sequence[Any], q: str) -> ColumnElement[bool]:
    """Return the condition "any of ``columns`` contains ``q``" (case-insensitive, literal)."""
    words = q.strip()
    if not words:
        return ~false()
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(col(c).ilike(pattern, escape="\\") for c in columns))


async def keyset(
    session: AsyncSession,
    query: Select[tuple[T]],
    id_column: InstrumentedAttribute[str],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[T], str | None]:
    """Return one page, newest first (ids sort by creation time), and the next cursor."""
    if cursor:
        query = query.where(col(id_column) < cursor)
    result = await session.execute(query.order_by(col(id_column).desc()).limit(limit + 1))
    rows = cast(list[T], list(result.scalars().all()))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(getattr(rows[-1], id_column.key)) if more and rows else None)


def link_to_next(request: Request, response: Response, cursor: str | None) -> None:
    """Point a bare JSON list's reader to its next page, if any, as Mastodon's API does:
    ``Link: <…?cursor=…>; rel="next"``."""
    if cursor is not None:
        after = request.url.include_query_params(cursor=cursor)
        response.headers["Link"] = f'<{after}>; rel="next"'


class _Identified(Protocol):
    @property
    def id(self) -> object: ...


Row = TypeVar("Row", bound=_Identified)


def one_page(rows: list[Row], limit: int) -> tuple[list[Row], str | None]:
    """Trim ``rows``, read with one more than ``limit`` newest first, to one page; return it
    and the cursor of the next one (its last row's ``id``), or None when there is no more."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], str(rows[limit - 1].id)
