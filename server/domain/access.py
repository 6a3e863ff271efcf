"""Who a token or a member acts as, and whether it may do a given thing: one rule for every
route, form and API alike.

A member of an actor is its ``owner`` (everything: profile, follows, members, deletion) or an
``editor`` (projects, funding calls, pledges, follow requests, deliveries). Admin tokens may do
everything; tokens made from the command line act as the actor's owner.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.tokens import Principal
from server.errors import Forbidden, NotFound
from server.i18n import N_
from server.storage.models import Actor

__all__ = ["Role", "acting_actor", "may_act", "owner_for_change", "require_role"]


class Role(StrEnum):
    """What a member may do for an actor; an owner may do all an editor may."""

    owner = "owner"
    editor = "editor"


_RANK: dict[str, int] = {Role.editor: 1, Role.owner: 2}


def may_act(caller: Principal, actor_id: int | None, role: Role) -> bool:
    """Whether ``caller`` may act for ``actor_id`` with (at least) ``role``."""
    if caller.is_admin:
        return True
    if actor_id is None or caller.actor_id != actor_id:
        return False
    return _RANK.get(caller.role, 0) >= _RANK[role]


def require_role(caller: Principal, actor: Actor, role: Role) -> None:
    """Raise ``Forbidden`` unless ``caller`` may act for ``actor`` as ``role``."""
    if not may_act(caller, actor.id, role):
        if caller.actor_id == actor.id:
            raise Forbidden(N_("this needs the {role} role for this actor"), role=role)
        raise Forbidden(N_("this token or account may not act for this actor"))


async def acting_actor(
    session: AsyncSession, caller: Principal, *, role: Role = Role.editor
) -> Actor:
    """Return the local actor a token acts as, if its role is at least ``role``.

    Raises ``Forbidden`` for actorless tokens and for a member whose role is too low.
    """
    actor = await session.get(Actor, caller.actor_id) if caller.actor_id is not None else None
    if actor is None:
        raise Forbidden(N_("this endpoint needs a token that belongs to an actor"))
    require_role(caller, actor, role)
    return actor


async def owner_for_change(
    session: AsyncSession, caller: Principal, row: Any, what: str, *, role: Role = Role.editor
) -> Actor:
    """Return the local owner of ``row`` if ``caller`` may change it (as a member with at least
    ``role``, or an admin).

    Raises ``NotFound`` for a remote object and ``Forbidden`` for another actor's token.
    """
    actor = await session.get(Actor, row.actor_id)
    if actor is None or not actor.is_local or not row.is_local:
        raise NotFound(f"no local {what} {row.id!r}")
    if not caller.is_admin and caller.actor_id != actor.id:
        raise Forbidden(f"this token may only change its own actor's {what}s")
    require_role(caller, actor, role)
    return actor
