"""SQLModel tables of people (DESIGN.md §13): accounts, their memberships of actors, sessions,
single-use links, second factors, login throttling and OAuth clients.

Every secret (session ids, links, invitations, recovery codes, OAuth codes) is stored as the
SHA-256 of a random value; only passwords, which people choose, are hashed with Argon2id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.storage.db import UTCDateTime

__all__ = [
    "Account",
    "AccountLink",
    "AccountSession",
    "Invitation",
    "LoginThrottle",
    "Membership",
    "OAuthApp",
    "OAuthCode",
    "RecoveryCode",
]


def _ts() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _hash() -> Any:
    return Field(max_length=64, unique=True)


class Account(SQLModel, table=True):
    """A person who signs in; distinct from the actors it runs as a member."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    #: Argon2id; None until the person sets one (an account made from the command line).
    password_hash: str | None = Field(default=None, max_length=255)
    is_admin: bool = Field(default=False)
    #: ``active``, ``pending`` (awaiting an admin's approval) or ``disabled``.
    status: str = Field(default="active", max_length=16)
    #: ``fr`` or ``en``; None follows the browser's Accept-Language.
    language: str | None = Field(default=None, max_length=35)
    email_confirmed_at: datetime | None = _ts()
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = _ts()
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: int | None = Field(default=None)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class Membership(SQLModel, table=True):
    """An account's role for a local actor: ``owner`` or ``editor``."""

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    actor_id: int = Field(foreign_key="actor.id", primary_key=True, index=True)
    role: str = Field(max_length=16)
    created_at: datetime = _at()


class AccountSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the secret, the row its SHA-256."""

    __tablename__ = "account_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = _hash()
    account_id: int = Field(foreign_key="account.id", index=True)
    #: False between the password and the second factor.
    is_verified: bool = Field(default=False)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = _at()
    last_seen_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = _ts()


class AccountLink(SQLModel, table=True):
    """A single-use link mailed or printed for an account: sign-in, confirmation, reset."""

    __tablename__ = "account_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = _hash()
    account_id: int = Field(foreign_key="account.id", index=True)
    purpose: str = Field(max_length=16)
    created_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _ts()


class Invitation(SQLModel, table=True):
    """A single-use invitation to sign up, as a member of an actor or as an admin."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = _hash()
    email: str = Field(max_length=254)
    actor_id: int | None = Field(default=None, foreign_key="actor.id")
    role: str | None = Field(default=None, max_length=16)
    is_admin: bool = Field(default=False)
    invited_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _ts()


class RecoveryCode(SQLModel, table=True):
    """One single-use code that stands in for the second factor."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = _ts()


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account or per address, and the wait they impose."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = Field(default=0)
    blocked_until: datetime | None = _ts()
    updated_at: datetime = _at()


class OAuthApp(SQLModel, table=True):
    """A third-party client registered for OAuth 2.0 (authorization code with PKCE)."""

    __tablename__ = "oauth_app"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    client_secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=200)
    website: str | None = Field(default=None, max_length=2048)
    redirect_uris: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scopes: str = Field(max_length=100)
    created_at: datetime = _at()


class OAuthCode(SQLModel, table=True):
    """An authorization code a member granted an app for one actor, used once."""

    __tablename__ = "oauth_code"
    __table_args__ = (UniqueConstraint("code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64)
    app_id: int = Field(foreign_key="oauth_app.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    actor_id: int = Field(foreign_key="actor.id")
    scopes: str = Field(max_length=100)
    redirect_uri: str = Field(max_length=2048)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=8)
    created_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _ts()
