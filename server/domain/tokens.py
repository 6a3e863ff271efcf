"""API bearer tokens: random secrets shown once, stored as SHA-256, with scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from server.clock import utcnow
from server.storage.accounts import Account, Membership
from server.storage.models import ApiToken

__all__ = [
    "SCOPES",
    "Principal",
    "authenticate",
    "hash_token",
    "issue_token",
    "list_tokens",
    "new_token_secret",
    "revoke_token",
]

SCOPES = ("read", "write", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a local actor (``actor_id``) or an admin token, and its scopes.

    ``role`` is what the actor's member (``account_id``) may do for it: ``owner`` or
    ``editor``; tokens made from the command line belong to no account and act as the owner.
    """

    token_hash: str
    actor_id: int | None
    scopes: frozenset[str]
    account_id: int | None = None
    role: str = "owner"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    def allows(self, scope: str) -> bool:
        """Whether the token may act with ``scope`` (admin implies every scope)."""
        return self.is_admin or scope in self.scopes


def new_token_secret() -> str:
    """Return a new token secret (``cm_`` and 256 random bits)."""
    return "cm_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    session: AsyncSession,
    *,
    actor_id: int | None,
    scopes: list[str],
    name: str = "",
    account_id: int | None = None,
    app_id: int | None = None,
    secret: str | None = None,
) -> str:
    """Create a token and return its secret (``secret`` when given), which is never stored in
    clear; the token acts for ``account_id``'s membership of the actor when given.

    Raises ``ValueError`` for an unknown scope.
    """
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown)) or '(none given)'}")
    token = secret or new_token_secret()
    session.add(
        ApiToken(
            token_hash=hash_token(token),
            actor_id=actor_id,
            scopes=" ".join(s for s in SCOPES if s in scopes),
            name=name,
            account_id=account_id,
            app_id=app_id,
        )
    )
    await session.commit()
    return token


async def authenticate(session: AsyncSession, token: str) -> Principal | None:
    """Return the principal of a valid, unrevoked token, or ``None``.

    A token of an account is valid while that account is active and still a member of the
    actor, with the role it has now.
    """
    digest = hash_token(token)
    row = (
        (
            await session.execute(
                select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at == None)
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        return None
    role = "owner"
    if row.account_id is not None:
        found = (
            await session.execute(
                select(Membership.role)
                .join(Account, col(Account.id) == Membership.account_id)
                .where(
                    Membership.account_id == row.account_id,
                    Membership.actor_id == row.actor_id,
                    Account.status == "active",
                )
            )
        ).first()
        if found is None:
            return None
        role = found[0]
    return Principal(
        token_hash=digest,
        actor_id=row.actor_id,
        scopes=frozenset(row.scopes.split()),
        account_id=row.account_id,
        role=role,
    )


async def list_tokens(session: AsyncSession, *, actor_id: int | None) -> list[ApiToken]:
    """Return an actor's tokens (the admin tokens when ``actor_id`` is None), oldest first."""
    query = select(ApiToken).where(ApiToken.actor_id == actor_id).order_by(col(ApiToken.id))
    return list((await session.execute(query)).scalars())


async def revoke_token(session: AsyncSession, token_id: int) -> ApiToken | None:
    """Revoke a token for good (kept, so its use can still be told apart); None if unknown."""
    token = await session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.commit()
    return token
