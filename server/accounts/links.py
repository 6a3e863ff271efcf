"""Single-use links for an account: sign in (printed by the CLI), confirm an email address,
reset a password. Each is spent by its first use and expires."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.codes import digest, new_secret
from server.storage.accounts import Account, AccountLink
from server.storage.db import affected

__all__ = ["LinkPurpose", "issue_link", "use_link"]


class LinkPurpose(StrEnum):
    signin = "signin"
    confirm = "confirm"
    reset = "reset"


_LIFETIMES = {
    LinkPurpose.signin: timedelta(days=2),
    LinkPurpose.confirm: timedelta(days=2),
    LinkPurpose.reset: timedelta(hours=1),
}


async def issue_link(
    session: AsyncSession, account: Account, purpose: LinkPurpose, *, now: datetime
) -> str:
    """Store a link for ``account`` and return its secret; the caller commits."""
    secret = new_secret()
    assert account.id is not None
    session.add(
        AccountLink(
            token_hash=digest(secret),
            account_id=account.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + _LIFETIMES[purpose],
        )
    )
    await session.flush()
    return secret


async def use_link(
    session: AsyncSession, secret: str, purpose: LinkPurpose, *, now: datetime
) -> Account | None:
    """Spend a link and return its account, or None (unknown, used, expired, another purpose);
    the caller commits."""
    link = await session.scalar(
        select(AccountLink).where(
            AccountLink.token_hash == digest(secret), AccountLink.purpose == purpose
        )
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    spent = await session.execute(
        update(AccountLink)
        .where(col(AccountLink.id) == link.id, AccountLink.used_at == None)
        .values(used_at=now)
    )
    if not affected(spent):  # the same link used twice at once: only one wins
        return None
    return await session.get(Account, link.account_id)
