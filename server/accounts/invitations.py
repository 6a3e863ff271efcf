"""Invitations: a single-use link, mailed, that lets a person sign up (or, signed in, join)
as a member of an actor with a role, or as an admin. It expires after seven days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.codes import digest, new_secret
from server.accounts.members import add_member
from server.domain.access import Role
from server.storage.accounts import Account, Invitation
from server.storage.db import affected

__all__ = [
    "INVITATION_LIFETIME",
    "accept_invitation",
    "find_invitation",
    "invite",
    "pending_invitations",
]

INVITATION_LIFETIME = timedelta(days=7)


async def invite(
    session: AsyncSession,
    *,
    email: str,
    now: datetime,
    actor_id: int | None = None,
    role: Role | None = None,
    is_admin: bool = False,
    by: int | None = None,
) -> str:
    """Store an invitation and return the secret of its link; the caller commits."""
    secret = new_secret()
    session.add(
        Invitation(
            token_hash=digest(secret),
            email=email.strip().lower(),
            actor_id=actor_id,
            role=role if actor_id is not None else None,
            is_admin=is_admin,
            invited_by=by,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
    )
    await session.flush()
    return secret


async def find_invitation(
    session: AsyncSession, secret: str, *, now: datetime
) -> Invitation | None:
    """Return the unused, unexpired invitation of a link, or None."""
    found: Invitation | None = await session.scalar(
        select(Invitation).where(Invitation.token_hash == digest(secret))
    )
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


async def accept_invitation(
    session: AsyncSession, invitation: Invitation, account: Account, *, now: datetime
) -> bool:
    """Spend the invitation for ``account``: membership or admin role as invited. Returns False
    when it was spent meanwhile; the caller commits."""
    spent = await session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, Invitation.used_at == None)
        .values(used_at=now)
    )
    if not affected(spent):
        return False
    assert account.id is not None
    if invitation.actor_id is not None:
        await add_member(
            session, account.id, invitation.actor_id, Role(invitation.role or "editor")
        )
    if invitation.is_admin:
        account.is_admin = True
    return True


async def pending_invitations(
    session: AsyncSession, *, now: datetime, actor_id: int | None = None
) -> list[Invitation]:
    """Return unused, unexpired invitations (of one actor when given), newest first."""
    query = select(Invitation).where(Invitation.used_at == None, col(Invitation.expires_at) > now)
    if actor_id is not None:
        query = query.where(Invitation.actor_id == actor_id)
    return list((await session.execute(query.order_by(col(Invitation.id).desc()))).scalars())
