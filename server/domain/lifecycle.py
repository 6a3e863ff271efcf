"""The life of a local Note (project, funding call): Create, Update, Delete to followers.

Each change is published in the caller's transaction (the caller commits), with ``updated``
strictly later than the previous one at the second precision of AS2 timestamps, as Mastodon
applies an ``Update`` only when ``updated`` moved forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.context import AS2_PUBLIC
from server.clock import utcnow
from server.domain.notes import tombstone
from server.errors import Gone, NotFound
from server.i18n import N_
from server.publishing.outbox import new_activity, publish
from server.storage.models import Actor, ObjectTag
from server.urls import Urls

__all__ = ["get_object", "next_updated", "publish_delete", "publish_note", "set_tags"]

T = TypeVar("T")


def next_updated(previous: datetime, now: datetime | None = None) -> datetime:
    """Return an edit time strictly later than ``previous``, even once truncated to seconds."""
    return max(now or utcnow(), previous + timedelta(seconds=1))


async def set_tags(
    session: AsyncSession,
    object_uri: str,
    tags: list[str],
    *,
    kind: Literal["project", "funding_call"],
) -> None:
    """Replace the hashtags of an object (of the table ``kind``) in the table that list
    filters query."""
    await session.execute(delete(ObjectTag).where(ObjectTag.object_uri == object_uri))
    for tag in tags:
        session.add(ObjectTag(object_uri=object_uri, tag=tag, kind=kind))


async def publish_note(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    kind: Literal["Create", "Update"],
    note: dict[str, Any],
    *,
    inboxes: Iterable[str] = (),
) -> None:
    """Publish ``Create`` or ``Update`` of a Note, or of the actor's own document, to the
    actor's followers and ``inboxes``, with the object's audience (public when it names
    none)."""
    body = {k: v for k, v in note.items() if k != "@context"}
    to, cc = note.get("to", [AS2_PUBLIC]), note.get("cc", [actor.followers_uri])
    activity = new_activity(urls, kind, actor, body, to=to, cc=cc)
    activity["@context"] = note["@context"]
    await publish(session, actor, activity, to_followers=True, inboxes=inboxes)


async def publish_delete(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    object_uri: str,
    deleted_at: datetime,
    *,
    inboxes: Iterable[str] = (),
) -> None:
    """Remove the object's tags and publish ``Delete{Tombstone}`` to the same audience."""
    await session.execute(delete(ObjectTag).where(ObjectTag.object_uri == object_uri))
    stone = tombstone(object_uri, deleted_at)
    activity = new_activity(
        urls,
        "Delete",
        actor,
        {k: v for k, v in stone.items() if k != "@context"},
        to=[AS2_PUBLIC],
        cc=[actor.followers_uri],
    )
    await publish(session, actor, activity, to_followers=True, inboxes=inboxes)


async def get_object(
    session: AsyncSession, table: type[T], object_id: str, what: str, *, allow_deleted: bool
) -> T:
    """Return a project or funding call by id; raises ``NotFound``, or ``Gone`` once deleted."""
    found = await session.get(table, object_id)
    if found is None:
        raise NotFound(N_("no {what} {id!r}"), what=what, id=object_id)
    if getattr(found, "deleted_at", None) is not None and not allow_deleted:
        raise Gone(N_("{what} {id!r} was deleted"), what=what, id=object_id)
    return found
