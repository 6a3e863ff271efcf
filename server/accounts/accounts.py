"""Accounts: creation, sign-in by password (throttled), passwords and approval.

Sign-in answers the same way for an unknown email and a wrong password, after the same work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.passwords import hash_password, verify_password
from server.accounts.throttle import clear_failures, record_failure, wait_left
from server.errors import Conflict
from server.i18n import N_
from server.storage.accounts import Account

__all__ = [
    "SignIn",
    "create_account",
    "find_account",
    "list_accounts",
    "normalize_email",
    "set_password",
    "sign_in",
]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalize_email(text: str) -> str | None:
    """Return the address in lower case, or None when it does not look like one."""
    email = text.strip().lower()
    return email if len(email) <= 254 and _EMAIL.match(email) else None


async def find_account(session: AsyncSession, email: str) -> Account | None:
    """Return the account of an address (any case), or None."""
    return await session.scalar(select(Account).where(Account.email == email.strip().lower()))


async def create_account(
    session: AsyncSession,
    email: str,
    *,
    now: datetime,
    password: str | None = None,
    is_admin: bool = False,
    status: str = "active",
    confirmed: bool = False,
    language: str | None = None,
) -> Account:
    """Store a new account and return it; the caller commits.

    Raises ``Conflict`` when the address already has an account.
    """
    email = email.strip().lower()
    if await find_account(session, email) is not None:
        raise Conflict(N_("an account with this email already exists"))
    account = Account(
        email=email,
        password_hash=await hash_password(password) if password else None,
        is_admin=is_admin,
        status=status,
        language=language,
        email_confirmed_at=now if confirmed else None,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:  # the same address registered at the same moment
        await session.rollback()
        raise Conflict(N_("an account with this email already exists")) from None
    return account


async def set_password(
    session: AsyncSession, account: Account, password: str, *, now: datetime
) -> None:
    """Replace the account's password; the caller commits (and revokes other sessions)."""
    account.password_hash = await hash_password(password)
    account.updated_at = now


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt gives: an account, or why not (and how long to wait)."""

    reason: Literal["ok", "wrong", "throttled", "unconfirmed", "pending", "disabled"]
    account: Account | None = None
    wait: timedelta = timedelta(0)


async def sign_in(
    session: AsyncSession, *, email: str, password: str, ip: str, now: datetime
) -> SignIn:
    """Check a password against throttling and the account's state; commits the count of
    failures (or clears it on success)."""
    wait = await wait_left(session, email=email, ip=ip, now=now)
    if wait > timedelta(0):
        return SignIn("throttled", wait=wait)
    account = await find_account(session, email)
    if not await verify_password(account.password_hash if account else None, password):
        await record_failure(session, email=email, ip=ip, now=now)
        await session.commit()
        return SignIn("wrong")
    assert account is not None
    await clear_failures(session, email=email)
    await session.commit()
    if account.status == "pending":
        return SignIn("pending", account)
    if account.status != "active":
        return SignIn("disabled", account)
    if account.email_confirmed_at is None:
        return SignIn("unconfirmed", account)
    return SignIn("ok", account)


async def list_accounts(session: AsyncSession, *, limit: int = 500) -> list[Account]:
    """Return accounts, newest first (admin pages)."""
    query = select(Account).order_by(col(Account.id).desc()).limit(limit)
    return list((await session.execute(query)).scalars())
