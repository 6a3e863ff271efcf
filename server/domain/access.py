"""Who a token acts as, and whether it may change a given object: one rule for every route."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.tokens import Principal
from server.errors import Forbidden, NotFound
from server.storage.models import Actor

__all__ = ["acting_actor", "owner_for_change"]


async def acting_actor(session: AsyncSession, caller: Principal) -> Actor:
    """Return the local actor a token acts as; raises ``Forbidden`` for actorless tokens."""
    actor = await session.get(Actor, caller.actor_id) if caller.actor_id is not None else None
    if actor is None:
        raise Forbidden("this endpoint needs a token that belongs to an actor")
    return actor


async def owner_for_change(session: AsyncSession, caller: Principal, row: Any, what: str) -> Actor:
    """Return the local owner of ``row`` if ``caller`` may change it (its own token or admin).

    Raises ``NotFound`` for a remote object and ``Forbidden`` for another actor's token.
    """
    actor = await session.get(Actor, row.actor_id)
    if actor is None or not actor.is_local or not row.is_local:
        raise NotFound(f"no local {what} {row.id!r}")
    if not caller.is_admin and caller.actor_id != actor.id:
        raise Forbidden(f"this token may only change its own actor's {what}s")
    return actor
