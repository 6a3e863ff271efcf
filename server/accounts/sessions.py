"""Server-side sessions: the cookie carries a random secret, the row its SHA-256.

A session lasts 30 days, or 7 without use; one waiting for the second factor lasts 10
minutes. Signing out revokes the row, so a copied cookie is refused from then on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.codes import digest, new_secret
from server.storage.accounts import Account, AccountSession
from server.storage.db import affected

__all__ = [
    "IDLE_LIFETIME",
    "LIFETIME",
    "SECOND_FACTOR_LIFETIME",
    "find_session",
    "list_sessions",
    "open_session",
    "revoke_other_sessions",
    "revoke_session",
    "verify_session",
]

LIFETIME = timedelta(days=30)
IDLE_LIFETIME = timedelta(days=7)
SECOND_FACTOR_LIFETIME = timedelta(minutes=10)
#: ``last_seen_at`` is written at most this often (reading a page should rarely write).
_TOUCH_EVERY = timedelta(minutes=5)


async def open_session(
    session: AsyncSession,
    account: Account,
    *,
    now: datetime,
    verified: bool,
    user_agent: str = "",
    ip: str = "",
) -> str:
    """Store a new session and return the secret for its cookie; the caller commits.

    ``verified`` is False while the account's second factor is still to be given.
    """
    secret = new_secret()
    assert account.id is not None
    session.add(
        AccountSession(
            token_hash=digest(secret),
            account_id=account.id,
            is_verified=verified,
            user_agent=user_agent[:300],
            ip=ip[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + (LIFETIME if verified else SECOND_FACTOR_LIFETIME),
        )
    )
    await session.flush()
    return secret


async def find_session(
    session: AsyncSession, secret: str, *, now: datetime
) -> tuple[AccountSession, Account] | None:
    """Return the live session of a cookie and its active account, or None (unknown, revoked,
    expired, idle too long, or the account was disabled)."""
    row = (
        await session.execute(
            select(AccountSession, Account)
            .join(Account, col(Account.id) == AccountSession.account_id)
            .where(AccountSession.token_hash == digest(secret), AccountSession.revoked_at == None)
        )
    ).first()
    if row is None:
        return None
    found, account = row
    if found.expires_at <= now or now - found.last_seen_at > IDLE_LIFETIME:
        return None
    if account.status != "active":
        return None
    if now - found.last_seen_at > _TOUCH_EVERY:
        found.last_seen_at = now
        await session.commit()
    return found, account


async def verify_session(session: AsyncSession, found: AccountSession, *, now: datetime) -> None:
    """Mark a session as past its second factor, with a full lifetime; the caller commits."""
    found.is_verified = True
    found.expires_at = now + LIFETIME
    found.last_seen_at = now


async def revoke_session(
    session: AsyncSession, account_id: int, session_id: int, *, now: datetime
) -> bool:
    """Revoke one of the account's sessions; returns whether there was one to revoke."""
    result = await session.execute(
        update(AccountSession)
        .where(
            AccountSession.id == session_id,
            AccountSession.account_id == account_id,
            AccountSession.revoked_at == None,
        )
        .values(revoked_at=now)
    )
    await session.commit()
    return affected(result) > 0


async def revoke_other_sessions(
    session: AsyncSession, account_id: int, *, keep: int | None, now: datetime
) -> None:
    """Revoke every session of the account but ``keep`` (after a password change or reset)."""
    query = update(AccountSession).where(
        AccountSession.account_id == account_id, AccountSession.revoked_at == None
    )
    if keep is not None:
        query = query.where(AccountSession.id != keep)
    await session.execute(query.values(revoked_at=now))


async def list_sessions(
    session: AsyncSession, account_id: int, *, now: datetime
) -> list[AccountSession]:
    """Return the account's live sessions, most recently used first."""
    rows = await session.execute(
        select(AccountSession)
        .where(
            AccountSession.account_id == account_id,
            AccountSession.revoked_at == None,
            col(AccountSession.expires_at) > now,
        )
        .order_by(col(AccountSession.last_seen_at).desc())
    )
    return list(rows.scalars())
