"""Remote actors' rows: stored from their documents, refreshed by their ``Update``, and ended
by their ``Delete`` when their server deletes the account (Mastodon sends it to every inbox
that knows them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import parse_actor
from federation.errors import KeyResolutionError
from federation.ports import RemoteActor
from server.clock import utcnow
from server.domain.actors import close_account
from server.storage.models import Actor, Interaction

__all__ = ["handle_actor_delete", "handle_actor_update", "store_remote_actor"]


async def store_remote_actor(session: AsyncSession, actor: RemoteActor) -> bool:
    """Insert or refresh a remote actor's row; return whether it was stored. The caller commits.

    Local actors are never overwritten, and a deleted account stays deleted: its id is never
    reused, so a document served again under it is not the same account. A key id bound to
    another actor of its host is never rebound: the actor claiming it is not stored. One bound
    to an actor of another host (stored before keys had to live on their actor's host) is
    taken from it, so that the key's real owner is not locked out.
    """
    holder = (
        await session.execute(
            select(Actor).where(Actor.key_id == actor.key_id, Actor.uri != actor.uri)
        )
    ).scalar_one_or_none()
    if holder is not None:
        if holder.is_local or _host(holder.uri) == _host(actor.key_id):
            return False
        holder.key_id = None
        holder.public_key_pem = None
        await session.flush()
    fields = {
        "type": actor.type,
        "name": actor.name,
        "summary_html": actor.summary_html,
        "url": actor.url,
        "inbox_uri": actor.inbox_uri,
        "shared_inbox_uri": actor.shared_inbox_uri,
        "outbox_uri": actor.outbox_uri,
        "followers_uri": actor.followers_uri,
        "following_uri": actor.following_uri,
        "key_id": actor.key_id,
        "public_key_pem": actor.public_key_pem,
        "manually_approves_followers": actor.manually_approves_followers,
        "icon": actor.icon,
        "image": actor.image,
        "fetched_at": utcnow(),
        "updated_at": utcnow(),
    }
    existing = (
        await session.execute(select(Actor).where(Actor.uri == actor.uri))
    ).scalar_one_or_none()
    if existing is None:
        session.add(Actor(uri=actor.uri, username=actor.username, domain=actor.domain, **fields))
    elif not existing.is_local and existing.deleted_at is None:
        for name, value in fields.items():
            setattr(existing, name, value)
    return True


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


async def handle_actor_update(session: AsyncSession, signer: str, document: dict[str, Any]) -> str:
    """Refresh a known remote actor from the document of its own ``Update`` (a new name,
    bio, inbox or key), as Mastodon does, rather than waiting for the next fetch."""
    try:
        actor = parse_actor(document)
    except KeyResolutionError:
        return "ignored"
    known = await session.scalar(
        select(Actor.id).where(Actor.uri == signer, Actor.is_local == False)
    )
    if actor.uri != signer or known is None:
        return "ignored"
    if not await store_remote_actor(session, actor):
        return "ignored"
    try:
        await session.commit()
    except IntegrityError:  # another actor's row holds the key id: leave both as they are
        await session.rollback()
        return "ignored"
    return "updated"


async def handle_actor_delete(session: AsyncSession, signer: str) -> str:
    """End a remote account its server deleted: its follows both ways, its likes, boosts and
    replies, and its projects and funding calls go; its key is forgotten, so a request
    signed with it is checked against its server again (which answers 410)."""
    actor = (
        await session.execute(select(Actor).where(Actor.uri == signer, Actor.is_local == False))
    ).scalar_one_or_none()
    if actor is None or actor.deleted_at is not None:
        return "ignored"
    await close_account(session, actor)
    await session.execute(delete(Interaction).where(Interaction.actor_uri == signer))
    actor.public_key_pem = None
    await session.commit()
    return "deleted"
