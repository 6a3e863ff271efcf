"""Random secrets handed out once (cookies, links, codes) and the digest stored in their place."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["digest", "new_secret", "short_code"]


def new_secret() -> str:
    """Return 256 random bits, URL-safe: unguessable, so a plain SHA-256 is enough to store."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Return the stored form of a secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def short_code() -> str:
    """Return a recovery code people can copy: ten lowercase letters and digits in two halves."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"
