"""Instance settings, read from ``COMMUNS_*`` environment variables and validated at start-up."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything an admin can configure; every command reads the same settings."""

    model_config = SettingsConfigDict(env_prefix="COMMUNS_", extra="ignore", frozen=True)

    base_url: str = Field(
        "http://localhost:8000",
        description="Public URL of the instance; every id is minted from it and its host[:port] "
        "is the domain of the handles.",
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./communs.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db.",
    )
    instance_name: str = Field(
        "Communs", max_length=200, description="Shown on pages and NodeInfo."
    )
    instance_description: str = Field(
        "A home on the fediverse for the people who make digital commons.",
        max_length=2000,
        description="Shown on the home page and in NodeInfo metadata.",
    )
    allow_private_networks: bool = Field(
        False,
        description="Let outgoing requests reach loopback and private addresses (tests).",
    )
    authorized_fetch: bool = Field(
        False,
        description="Require a valid HTTP signature on GETs of ActivityPub documents.",
    )
    run_workers: bool = Field(
        True, description="Run the delivery and inbox workers inside the web process."
    )
    delivery_concurrency: int = Field(
        32,
        ge=1,
        le=1024,
        description="Deliveries in flight at once per worker process.",
    )
    delivery_host_concurrency: int = Field(
        8,
        ge=1,
        le=256,
        description="Deliveries in flight at once to any one remote host.",
    )
    delivery_lease_seconds: int = Field(
        300,
        ge=1,
        le=3600,
        description="How long a claimed delivery stays reserved; a crashed worker's claims "
        "become available again after it.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log verbosity."
    )
    registrations: Literal["closed", "approval", "open"] = Field(
        "closed",
        description="Who may create an account: only those invited (closed), anyone once an "
        "admin approves (approval), or anyone (open).",
    )
    smtp_url: str | None = Field(
        None,
        description="smtp://user:password@host:port (STARTTLS when offered) or smtps://…; "
        "unset: mails are written to the log.",
    )
    mail_from: str | None = Field(
        None, max_length=254, description="Sender of the mails (default: communs@<host>)."
    )
    default_language: Literal["en", "fr"] = Field(
        "en", description="Language of the pages when neither the account nor the browser says."
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a client has to send a request's line and headers, from its first "
        "byte (or from opening the connection); then the connection is closed (408).",
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a client has to send a request's body once its headers are in; "
        "then the connection is closed.",
    )
    keep_alive_seconds: int = Field(
        5, ge=1, le=300, description="Seconds an idle keep-alive connection stays open."
    )
    media_dir: Path = Field(
        Path("media"),
        description="Where uploaded pictures are kept (a volume in Docker); a reverse proxy may "
        "serve it as /media/ (docs/deploy.md).",
    )
    max_connections: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Connections one web process keeps at once; requests beyond are answered "
        "503 at once.",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL such as https://communs.example")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("must not have a path, query or fragment")
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must be smtp://[user:password@]host[:port] or smtps://…")
        try:
            parts.port  # noqa: B018  (raises for a port that is not a number)
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        return value

    @field_validator("registrations", "default_language", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @cached_property
    def domain(self) -> str:
        """The handle domain: host[:port] of the base URL."""
        return urlsplit(self.base_url).netloc

    @property
    def is_https(self) -> bool:
        """Whether the public URL is https (session cookies are then ``Secure``)."""
        return self.base_url.startswith("https://")

    @property
    def sender(self) -> str:
        """The address mails come from."""
        return self.mail_from or f"communs@{urlsplit(self.base_url).hostname}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (one writer connection, no SKIP LOCKED)."""
        return self.database_url.startswith("sqlite")
