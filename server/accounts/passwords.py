"""Passwords hashed with Argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile).

Hashing takes tens of milliseconds on purpose, so it runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "check_password", "hash_password", "verify_password"]

MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_hasher = PasswordHasher()
#: Verified when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def check_password(password: str) -> str | None:
    """Return what is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD:
        return "too_short"
    if len(password) > MAX_PASSWORD:
        return "too_long"
    return None


async def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (always False, after the same work, for None)."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
