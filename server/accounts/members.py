"""Memberships: which accounts run which actors, and as what.

The last owner of an actor can neither leave nor become an editor: someone must always be able
to manage its members.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.domain.access import Role
from server.errors import Conflict, NotFound
from server.i18n import N_
from server.storage.accounts import Account, Membership
from server.storage.models import Actor

__all__ = ["actors_of", "add_member", "members_of", "membership", "remove_member", "set_role"]


async def membership(session: AsyncSession, account_id: int, actor_id: int) -> Membership | None:
    """Return the account's membership of the actor, if any."""
    return await session.get(Membership, (account_id, actor_id))


async def actors_of(session: AsyncSession, account_id: int) -> list[tuple[Actor, str]]:
    """Return the live actors an account is a member of, with its role, by username."""
    rows = await session.execute(
        select(Actor, Membership.role)
        .join(Membership, Membership.actor_id == Actor.id)
        .where(Membership.account_id == account_id, Actor.deleted_at == None)
        .order_by(col(Actor.username))
    )
    return [(actor, role) for actor, role in rows.all()]


async def members_of(session: AsyncSession, actor_id: int) -> list[tuple[Account, str]]:
    """Return an actor's members with their role, owners first."""
    rows = await session.execute(
        select(Account, Membership.role)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.actor_id == actor_id)
        .order_by(col(Membership.role).desc(), col(Account.email))
    )
    return [(account, role) for account, role in rows.all()]


async def add_member(session: AsyncSession, account_id: int, actor_id: int, role: Role) -> None:
    """Make the account a member (or change its role when it is one); the caller commits."""
    found = await membership(session, account_id, actor_id)
    if found is None:
        session.add(Membership(account_id=account_id, actor_id=actor_id, role=role))
    else:
        await set_role(session, found, role)


async def _owners(session: AsyncSession, actor_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.actor_id == actor_id, Membership.role == Role.owner)
    )
    return int(count or 0)


async def set_role(session: AsyncSession, found: Membership, role: Role) -> None:
    """Change a member's role; raises ``Conflict`` when it would leave the actor no owner."""
    last = found.role == Role.owner and await _owners(session, found.actor_id) <= 1
    if last and role != Role.owner:
        raise Conflict(N_("the last owner cannot become an editor"))
    found.role = role


async def remove_member(session: AsyncSession, account_id: int, actor_id: int) -> None:
    """End a membership; raises ``NotFound``, or ``Conflict`` for the last owner."""
    found = await membership(session, account_id, actor_id)
    if found is None:
        raise NotFound(N_("no such member"))
    if found.role == Role.owner and await _owners(session, actor_id) <= 1:
        raise Conflict(N_("the last owner cannot leave"))
    await session.delete(found)
