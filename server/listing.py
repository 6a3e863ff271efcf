"""Filters and keyset pages shared by the project and funding-call lists of the JSON API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import col

from server.models import Actor, ObjectTag

__all__ = ["by_actor", "by_tag", "by_text", "keyset"]

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
