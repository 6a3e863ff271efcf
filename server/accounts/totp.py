"""The optional second factor: TOTP (RFC 6238, 30-second steps, one step of drift either way)
and ten single-use recovery codes.

A code is accepted once: the step it belongs to is stored, and older or equal steps are refused.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.codes import digest, short_code
from server.storage.accounts import Account, RecoveryCode
from server.storage.db import affected

__all__ = [
    "RECOVERY_CODES",
    "check_second_factor",
    "disable_totp",
    "enable_totp",
    "new_totp_secret",
    "provisioning_uri",
]

RECOVERY_CODES = 10
_STEP = 30


def new_totp_secret() -> str:
    """Return a new base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads (shown as text to copy)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // _STEP
    for candidate in (step - 1, step, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            return candidate
    return None


async def enable_totp(
    session: AsyncSession, account: Account, secret: str, code: str, *, now: datetime
) -> list[str] | None:
    """Turn the second factor on once ``code`` proves the app holds ``secret``; return the new
    recovery codes (shown once), or None for a wrong code. The caller commits."""
    step = _matching_step(secret, code, now)
    if step is None:
        return None
    account.totp_secret, account.totp_enabled_at, account.totp_last_step = secret, now, step
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = [short_code() for _ in range(RECOVERY_CODES)]
    assert account.id is not None
    session.add_all(RecoveryCode(account_id=account.id, code_hash=digest(c)) for c in codes)
    return codes


async def disable_totp(session: AsyncSession, account: Account) -> None:
    """Turn the second factor off and drop the recovery codes; the caller commits."""
    account.totp_secret = account.totp_enabled_at = account.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))


async def check_second_factor(
    session: AsyncSession, account: Account, code: str, *, now: datetime
) -> bool:
    """Whether ``code`` is a fresh TOTP code or an unused recovery code (then spent); the
    caller commits."""
    if account.totp_secret is None:
        return False
    step = _matching_step(account.totp_secret, code, now)
    if step is not None:
        result = await session.execute(
            update(Account)
            .where(
                Account.id == account.id,
                (Account.totp_last_step == None) | (Account.totp_last_step < step),  # type: ignore[operator]
            )
            .values(totp_last_step=step)
        )
        return affected(result) > 0
    recovery = digest(code.strip().lower())
    found = await session.scalar(
        select(RecoveryCode.id).where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == recovery,
            RecoveryCode.used_at == None,
        )
    )
    if found is None:
        return False
    result = await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == found, RecoveryCode.used_at == None)
        .values(used_at=now)
    )
    return affected(result) > 0
