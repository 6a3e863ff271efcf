"""Replies, likes and boosts received on our objects, and their undoing.

Mastodon sends a ``Like`` to the author's personal inbox and a boost or reply to followers and to
the author's shared inbox (FEDERATION.md, "Signatures, fetching and delivery"); both reach here
from the inbox worker. Only interactions with local objects are kept; replies are stored sanitised.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import http_uri
from federation.sanitize import sanitize_html
from schemas.base import as_list, get_id
from server.clock import utcnow
from server.domain.remote_objects import moment_of
from server.storage.db import affected
from server.storage.models import FundingCall, Interaction, Project
from server.urls import Urls

__all__ = [
    "KINDS",
    "REPLY_TYPES",
    "handle_interaction",
    "handle_note_delete",
    "handle_undo_interaction",
    "interaction_counts",
    "replies_of",
    "with_interactions",
]

#: Activity type → interaction kind; a reply is a ``Create`` of a Note.
KINDS = {"Like": "like", "Announce": "announce"}
_CONTENT_LIMIT = 20_000
#: What is taken for a reply: Mastodon shows Notes (and Questions); blogs, forums and event
#: servers reply with Articles, Pages and Events.
REPLY_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event"})
#: How many objects of one ``inReplyTo`` are looked up.
_REPLY_TARGETS = 8


async def _is_ours(session: AsyncSession, urls: Urls, uri: str | None) -> bool:
    """Whether ``uri`` names one of our live projects or funding calls."""
    if uri is None or not urls.is_local(uri):
        return False
    for table in (Project, FundingCall):
        found = await session.scalar(
            select(table.id).where(table.uri == uri, table.deleted_at == None)
        )
        if found is not None:
            return True
    return False


async def _store(session: AsyncSession, interaction: Interaction) -> str:
    session.add(interaction)
    try:
        await session.commit()
    except IntegrityError:  # the same reply, like or boost twice
        await session.rollback()
        return "ignored"
    return interaction.kind


async def handle_interaction(session: AsyncSession, urls: Urls, activity: dict[str, Any]) -> str:
    """Store a Like, an Announce or a reply (Create of a Note) aimed at one of our objects."""
    signer = str(get_id(activity.get("actor")))
    kind = activity.get("type")
    if kind in KINDS:
        target = get_id(activity.get("object"))
        if not await _is_ours(session, urls, target):
            return "ignored"
        return await _store(
            session,
            Interaction(
                uri=str(activity["id"]),
                kind=KINDS[str(kind)],
                actor_uri=signer,
                object_uri=str(target),
                published_at=utcnow(),
            ),
        )
    note = activity.get("object")
    if kind != "Create" or not isinstance(note, dict):
        return "ignored"
    if not any(t in REPLY_TYPES for t in as_list(note.get("type")) if isinstance(t, str)):
        return "ignored"
    note_uri = http_uri(get_id(note))
    target = await _first_ours(session, urls, note.get("inReplyTo"))
    if note_uri is None or target is None:
        return "ignored"
    content = note.get("content")
    return await _store(
        session,
        Interaction(
            uri=note_uri,
            kind="reply",
            actor_uri=signer,
            object_uri=target,
            content_html=sanitize_html(content[:_CONTENT_LIMIT])
            if isinstance(content, str)
            else "",
            published_at=moment_of(note.get("published")) or utcnow(),
        ),
    )


async def _first_ours(session: AsyncSession, urls: Urls, in_reply_to: Any) -> str | None:
    """Return the first of our objects an ``inReplyTo`` names: an IRI, a Link (its ``href``),
    an object (its ``id``), or a list of them."""
    for value in as_list(in_reply_to)[:_REPLY_TARGETS]:
        uri = get_id(value)
        if uri is None and isinstance(value, dict) and isinstance(value.get("href"), str):
            uri = value["href"]
        if await _is_ours(session, urls, uri):
            return uri
    return None


async def handle_undo_interaction(session: AsyncSession, signer: str, undone: Any) -> str:
    """Remove the Like or Announce an ``Undo`` names (embedded or by id), if the signer made it."""
    uri = get_id(undone)
    result = await session.execute(
        delete(Interaction).where(
            Interaction.uri == uri, Interaction.actor_uri == signer, Interaction.kind != "reply"
        )
    )
    await session.commit()
    return "removed" if affected(result) else "ignored"


async def handle_note_delete(session: AsyncSession, signer: str, deleted: Any) -> str:
    """Remove a reply its author deleted (``Delete`` of the Note or of its Tombstone)."""
    result = await session.execute(
        delete(Interaction).where(
            Interaction.uri == get_id(deleted), Interaction.actor_uri == signer
        )
    )
    await session.commit()
    return "removed" if affected(result) else "ignored"


async def interaction_counts(session: AsyncSession, object_uri: str) -> dict[str, int]:
    """Return the counts of replies, likes and announces of an object."""
    rows = await session.execute(
        select(Interaction.kind, func.count())
        .where(Interaction.object_uri == object_uri)
        .group_by(Interaction.kind)
    )
    counts = {"reply": 0, "like": 0, "announce": 0}
    counts.update({kind: int(n) for kind, n in rows.all()})
    return counts


async def with_interactions(session: AsyncSession, note: dict[str, Any]) -> dict[str, Any]:
    """Return ``note`` with its replies, likes and shares collections and their counts.

    Mastodon reads ``totalItems`` of ``likes`` and ``shares`` to show counts on remote posts.
    """
    uri = str(note["id"])
    counts = await interaction_counts(session, uri)
    for name, kind in (("replies", "reply"), ("likes", "like"), ("shares", "announce")):
        collection = f"{uri}/{name}"
        note[name] = {
            "id": collection,
            "type": "OrderedCollection",
            "totalItems": counts[kind],
            "first": f"{collection}?page=true",
        }
    return note


async def replies_of(
    session: AsyncSession, object_uri: str, *, limit: int = 100
) -> list[Interaction]:
    """Return the replies an object received, oldest first (already sanitised)."""
    rows = await session.execute(
        select(Interaction)
        .where(Interaction.object_uri == object_uri, Interaction.kind == "reply")
        .order_by(Interaction.published_at)
        .limit(limit)
    )
    return list(rows.scalars())
