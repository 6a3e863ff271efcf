"""Replies, likes and boosts received on our objects, and their undoing.

Mastodon sends a ``Like`` to the author's personal inbox and a boost or reply to followers and to
the author's shared inbox (FEDERATION.md, "Signatures, fetching and delivery"); both reach here
from the inbox worker. Only interactions with local objects are kept; replies are stored sanitised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, tuple_, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
    "Received",
    "handle_interaction",
    "handle_note_delete",
    "handle_undo_interaction",
    "interaction_counts",
    "ours_among",
    "received_interaction",
    "replies_of",
    "store_interactions",
    "undo_interactions",
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


@dataclass(frozen=True)
class Received:
    """A Like, an Announce or a reply as received, before its target is known to be ours:
    ``targets`` are the objects it may be about, the first of ours wins."""

    uri: str
    kind: str
    actor_uri: str
    targets: list[str]
    note: dict[str, Any] | None = None


def received_interaction(activity: dict[str, Any]) -> Received | None:
    """Return the interaction a Like, an Announce or a reply (Create of a Note) would store,
    or None when the activity is none of those."""
    signer = str(get_id(activity.get("actor")))
    kind = activity.get("type")
    if kind in KINDS:
        target = get_id(activity.get("object"))
        targets = [target] if isinstance(target, str) else []
        return Received(str(activity["id"]), KINDS[str(kind)], signer, targets)
    note = activity.get("object")
    if kind != "Create" or not isinstance(note, dict):
        return None
    if not any(t in REPLY_TYPES for t in as_list(note.get("type")) if isinstance(t, str)):
        return None
    note_uri = http_uri(get_id(note))
    if note_uri is None:
        return None
    return Received(note_uri, "reply", signer, _reply_targets(note.get("inReplyTo")), note)


def _reply_targets(in_reply_to: Any) -> list[str]:
    """Return what an ``inReplyTo`` names: IRIs, Links (their ``href``), objects (their
    ``id``), or a list of them."""
    uris = []
    for value in as_list(in_reply_to)[:_REPLY_TARGETS]:
        uri = get_id(value)
        if uri is None and isinstance(value, dict) and isinstance(value.get("href"), str):
            uri = value["href"]
        if isinstance(uri, str):
            uris.append(uri)
    return uris


async def ours_among(session: AsyncSession, urls: Urls, uris: Iterable[str]) -> set[str]:
    """Return which of ``uris`` name our live projects or funding calls, in one statement."""
    local = sorted({uri for uri in uris if urls.is_local(uri)})
    if not local:
        return set()
    query = union_all(
        *(
            select(table.uri).where(col(table.uri).in_(local), table.deleted_at == None)
            for table in (Project, FundingCall)
        )
    )
    return set((await session.execute(query)).scalars())


async def store_interactions(
    session: AsyncSession, urls: Urls, received: Sequence[Received]
) -> list[str]:
    """Store the interactions aimed at our objects, all in one statement, and return what each
    did: its kind, or "ignored" (not about ours, or already stored: the first of a uri wins).

    A batch of the inbox worker and a single activity go the same way, so both end alike.
    """
    ours = await ours_among(session, urls, (uri for r in received for uri in r.targets))
    first: dict[str, int] = {}  # uri → the item whose row is written
    rows = []
    for index, item in enumerate(received):
        target = next((uri for uri in item.targets if uri in ours), None)
        if target is not None and item.uri not in first:
            first[item.uri] = index
            rows.append(_row(item, target))
    stored: set[str] = set()
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(Interaction)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(col(Interaction.uri))
        )
        stored = set((await session.execute(statement)).scalars())
    return [
        item.kind if item.uri in stored and first[item.uri] == index else "ignored"
        for index, item in enumerate(received)
    ]


def _row(item: Received, target: str) -> dict[str, Any]:
    """Return the interaction row of ``item`` about ``target`` (a reply's content sanitised)."""
    row: dict[str, Any] = {
        "uri": item.uri,
        "kind": item.kind,
        "actor_uri": item.actor_uri,
        "object_uri": target,
        "content_html": None,
        "published_at": utcnow(),
    }
    if item.note is not None:
        content = item.note.get("content")
        row["content_html"] = (
            sanitize_html(content[:_CONTENT_LIMIT]) if isinstance(content, str) else ""
        )
        row["published_at"] = moment_of(item.note.get("published")) or row["published_at"]
    return row


async def handle_interaction(session: AsyncSession, urls: Urls, activity: dict[str, Any]) -> str:
    """Store a Like, an Announce or a reply (Create of a Note) aimed at one of our objects."""
    received = received_interaction(activity)
    if received is None:
        return "ignored"
    [done] = await store_interactions(session, urls, [received])
    await session.commit()
    return done


async def undo_interactions(
    session: AsyncSession, undone: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Remove the Likes and Announces named by (uri, signer) pairs that their signer made, in
    one statement; return the pairs removed."""
    if not undone:
        return set()
    result = await session.execute(
        delete(Interaction)
        .where(
            tuple_(col(Interaction.uri), col(Interaction.actor_uri)).in_(sorted(set(undone))),
            Interaction.kind != "reply",
        )
        .returning(col(Interaction.uri), col(Interaction.actor_uri))
    )
    return {(str(uri), str(actor)) for uri, actor in result.all()}


async def handle_undo_interaction(session: AsyncSession, signer: str, undone: Any) -> str:
    """Remove the Like or Announce an ``Undo`` names (embedded or by id), if the signer made it."""
    uri = get_id(undone)
    removed = await undo_interactions(session, [(uri, signer)]) if isinstance(uri, str) else set()
    await session.commit()
    return "removed" if removed else "ignored"


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
