"""Filters shared by the lists of the JSON API, the pages and the directory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from server.storage.models import Actor, ObjectTag
from server.storage.search import matches_words

__all__ = ["by_actor", "by_tag", "by_text"]


def by_actor(actor_column: Any, handle: str, local_domain: str) -> ColumnElement[bool]:
    """Return the condition "owned by ``user`` or ``user@domain``" (local domain by default)."""
    username, _, domain = handle.lstrip("@").partition("@")
    return col(actor_column).in_(
        select(Actor.id).where(Actor.username == username, Actor.domain == (domain or local_domain))
    )


def by_tag(uri_column: Any, tag: str) -> ColumnElement[bool]:
    """Return the condition "carries hashtag ``tag``" (case-insensitive, ``#`` optional) for
    the objects of ``uri_column``'s table: only that kind's tagged objects are read."""
    name = tag.lstrip("#").lower()
    kind = str(uri_column.class_.__tablename__)
    tagged = select(ObjectTag.object_uri).where(ObjectTag.tag == name, ObjectTag.kind == kind)
    return col(uri_column).in_(tagged)


def by_text(key: Any, q: str, *, since: Any = None) -> ColumnElement[bool]:
    """Return the condition "the row whose id column is ``key`` matches ``q``": each of its
    words starts a word of the row's searched text, ignoring case and accents
    (``server.storage.search``). ``since``: only rows whose key is at least this are asked."""
    return matches_words(key, q, since=since)
