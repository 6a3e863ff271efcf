"""SQLModel tables: the data model of docs/architecture.md.

Timestamps are ``UTCDateTime`` (aware UTC), money is integer minor units, JSON documents that
are sent or served are stored as the exact bytes (serialised once).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from schemas.states import (
    DeliveryState,
    DomainBlock,
    FollowState,
    FundingStatus,
    PledgeState,
    ProjectStatus,
)
from server.clock import utcnow
from server.storage import accounts as _accounts  # noqa: F401  (the tables api_token refers to)
from server.storage.db import UTCDateTime

__all__ = [
    "IDEMPOTENCY_KEY_LIFETIME",
    "Activity",
    "Actor",
    "ApiToken",
    "Declaration",
    "DeclarationArea",
    "Delivery",
    "Domain",
    "Follow",
    "FundingCall",
    "FundingCallEvent",
    "IdempotencyRecord",
    "Interaction",
    "Media",
    "ObjectTag",
    "Pledge",
    "Project",
]


def _ts() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _text(*, nullable: bool = True) -> Any:
    return Field(default=None if nullable else "", sa_type=Text, nullable=nullable)


def _picture() -> Any:
    """A published picture, as the fediverse reads it (``{"type": "Image", "url", …}``)."""
    return Field(default=None, sa_column=Column(JSON, nullable=True))


def _attachments() -> Any:
    """Published pictures in order, each with its alt text in ``name``."""
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class Actor(SQLModel, table=True):
    """A local or remote actor; local ones carry a private key that never leaves the database."""

    __table_args__ = (UniqueConstraint("username", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    username: str = Field(max_length=255)
    domain: str = Field(max_length=255, index=True)
    is_local: bool = Field(default=False)
    type: str = Field(max_length=32)
    kind: str | None = Field(default=None, max_length=32)
    name: str = Field(default="", max_length=2048)
    summary_source: str | None = _text()
    summary_html: str | None = _text()
    legal_form: str | None = Field(default=None, max_length=200)
    siren: str | None = Field(default=None, max_length=9)
    siret: str | None = Field(default=None, max_length=14)
    #: For public bodies: ``schemas.legal.PublicCategory``.
    public_category: str | None = Field(default=None, max_length=32)
    #: A French region's INSEE code or a country's ISO 3166 code (``schemas.regions``); older
    #: free text stays as it was written.
    region: str | None = Field(default=None, max_length=200, index=True)
    #: A public contact address (funding.json's ``entity.email``, buyers' exports).
    email: str | None = Field(default=None, max_length=250)
    website: str | None = Field(default=None, max_length=2048)
    url: str | None = Field(default=None, max_length=2048)
    inbox_uri: str | None = Field(default=None, max_length=2048)
    shared_inbox_uri: str | None = Field(default=None, max_length=2048)
    outbox_uri: str | None = Field(default=None, max_length=2048)
    followers_uri: str | None = Field(default=None, max_length=2048)
    following_uri: str | None = Field(default=None, max_length=2048)
    featured_uri: str | None = Field(default=None, max_length=2048)
    key_id: str | None = Field(default=None, max_length=2048, unique=True)
    public_key_pem: str | None = _text()
    private_key_pem: str | None = _text()
    #: The Ed25519 key of Object Integrity Proofs (FEP-521a ``Multikey``): ``#ed25519-key`` of
    #: a local actor, or the key a remote actor's proofs were last checked with.
    assertion_key_id: str | None = Field(default=None, max_length=2048)
    #: Its ``publicKeyMultibase`` (``z6Mk…``).
    assertion_public_key: str | None = Field(default=None, max_length=128)
    #: PKCS#8 PEM, local actors only; like ``private_key_pem``, it never leaves the database.
    assertion_private_key_pem: str | None = _text()
    manually_approves_followers: bool = Field(default=False)
    discoverable: bool = Field(default=True)
    #: BCP 47 tag of what a local actor publishes (its Notes' ``contentMap``).
    language: str = Field(default="en", max_length=35, sa_column_kwargs={"server_default": "en"})
    software: str | None = Field(default=None, max_length=100)
    #: The avatar and header: our uploads for a local actor, as received for a remote one.
    icon: dict[str, Any] | None = _picture()
    image: dict[str, Any] | None = _picture()
    created_at: datetime = _created()
    updated_at: datetime = _created()
    fetched_at: datetime | None = _ts()
    suspended_at: datetime | None = _ts()
    #: A remote account its server deleted (``Delete`` of the actor by itself).
    deleted_at: datetime | None = _ts()


class ApiToken(SQLModel, table=True):
    """A bearer token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    actor_id: int | None = Field(default=None, foreign_key="actor.id", index=True)
    #: The person the token acts for (``actor_id`` with that member's role); None for tokens
    #: made from the command line, which act as the actor's owner.
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    #: The OAuth app it was granted to, if any.
    app_id: int | None = Field(default=None, foreign_key="oauth_app.id")
    scopes: str = Field(max_length=100)
    name: str = Field(default="", max_length=200)
    created_at: datetime = _created()
    last_used_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts()


class Follow(SQLModel, table=True):
    """follower → followed; pending until the followed side accepts."""

    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        Index("ix_follow_followed_state", "followed_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    follower_id: int = Field(foreign_key="actor.id", index=True)
    followed_id: int = Field(foreign_key="actor.id")
    state: str = Field(default=FollowState.pending, max_length=16)
    created_at: datetime = _created()
    accepted_at: datetime | None = _ts()


class Activity(SQLModel, table=True):
    """Every activity sent or received, with the exact JSON bytes and its processing state."""

    __table_args__ = (
        Index("ix_activity_queue", "direction", "state", "next_attempt_at"),
        Index("ix_activity_outbox", "local_actor_id", "is_public", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    uri: str = Field(max_length=2048, unique=True)
    type: str = Field(max_length=64)
    actor_uri: str = Field(max_length=2048)
    object_uri: str | None = Field(default=None, max_length=2048)
    direction: str = Field(max_length=3)
    local_actor_id: int | None = Field(default=None, foreign_key="actor.id")
    is_public: bool = Field(default=False)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = Field(max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts()
    locked_until: datetime | None = _ts()
    error: str | None = _text()
    created_at: datetime = _created()


class Delivery(SQLModel, table=True):
    """One activity to one inbox, with its retry state."""

    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_uri"),
        Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    #: No foreign key: PostgreSQL checked it once per fan-out row (a third of enqueueing 100 000
    #: deliveries); only ``server.publishing.outbox`` inserts deliveries, with their activity.
    activity_id: str = Field(max_length=32)
    inbox_uri: str = Field(max_length=2048)
    #: Not indexed: every fan-out row would pay for it, and only rare moderation filters on it.
    host: str = Field(max_length=255)
    state: str = Field(default=DeliveryState.pending, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _created()
    locked_until: datetime | None = _ts()
    last_status: int | None = None
    last_error: str | None = _text()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Domain(SQLModel, table=True):
    """What we know of a remote host: failures, moderation, software."""

    host: str = Field(primary_key=True, max_length=255)
    failure_days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_unavailable: bool = Field(default=False)
    block: str = Field(default=DomainBlock.none, max_length=16)
    software: str | None = Field(default=None, max_length=100)
    updated_at: datetime = _created()


class Project(SQLModel, table=True):
    """A digital commons published by an actor (local or remote)."""

    # A filter's column with the id after it: the directory and the lists read the newest rows
    # of one value first and stop at a page, however many rows share it (docs/performance.md).
    __table_args__ = (
        Index("ix_project_license_id", "license", "id"),
        Index("ix_project_status_id", "status", "id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    uri: str = Field(max_length=2048, unique=True)
    url: str | None = Field(default=None, max_length=2048)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    is_local: bool = Field(default=True)
    name: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    description: str = _text(nullable=False)
    description_html: str = _text(nullable=False)
    license: str | None = Field(default=None, max_length=200)
    repository_url: str | None = Field(default=None, max_length=2048)
    website_url: str | None = Field(default=None, max_length=2048)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=ProjectStatus.active, max_length=16)
    is_pinned: bool = Field(default=False)
    #: The logo, and up to four images (``server.media``).
    icon: dict[str, Any] | None = _picture()
    attachment: list[dict[str, Any]] = _attachments()
    published_at: datetime = _created()
    updated_at: datetime = _created()
    deleted_at: datetime | None = _ts()


class FundingCall(SQLModel, table=True):
    """A call to co-fund a commons; money in integer minor units of ``currency``."""

    __tablename__ = "funding_call"
    __table_args__ = (
        Index("ix_funding_call_status_id", "status", "id"),
        Index("ix_funding_call_currency_id", "currency", "id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    uri: str = Field(max_length=2048, unique=True)
    url: str | None = Field(default=None, max_length=2048)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    is_local: bool = Field(default=True)
    project_id: str | None = Field(default=None, foreign_key="project.id")
    project_uri: str | None = Field(default=None, max_length=2048)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    description: str = _text(nullable=False)
    description_html: str = _text(nullable=False)
    currency: str = Field(max_length=3)
    goal_minor: int = Field(sa_type=BigInteger)
    raised_minor: int = Field(default=0, sa_type=BigInteger)
    raised_by_sector: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    deadline: date
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=FundingStatus.open, max_length=16)
    #: The logo, and up to four images (``server.media``).
    icon: dict[str, Any] | None = _picture()
    attachment: list[dict[str, Any]] = _attachments()
    published_at: datetime = _created()
    updated_at: datetime = _created()
    deleted_at: datetime | None = _ts()


class Media(SQLModel, table=True):
    """An uploaded picture, re-encoded and stored under ``COMMUNS_MEDIA_DIR`` at ``path``.

    Its name is the SHA-256 of its bytes, so two identical uploads share one file; a deleted
    one keeps its row (``deleted_at``), so that its URL answers 410.
    """

    id: str = Field(primary_key=True, max_length=32)
    #: The local actor that owns it (the avatar's, or the project's or call's owner).
    actor_id: int = Field(foreign_key="actor.id", index=True)
    #: ``server.media.MediaKind``: avatar, header, logo or image.
    kind: str = Field(max_length=16)
    project_id: str | None = Field(default=None, foreign_key="project.id", index=True)
    funding_call_id: str | None = Field(default=None, foreign_key="funding_call.id", index=True)
    #: Alt text: required for images, optional otherwise.
    description: str = Field(default="", max_length=1500)
    media_type: str = Field(max_length=32)
    size: int
    width: int
    height: int
    sha256: str = Field(max_length=64)
    #: Relative to the media directory and to ``/media/``: ``ab/ab…ef.webp``.
    path: str = Field(max_length=80, index=True)
    created_at: datetime = _created()
    deleted_at: datetime | None = _ts()


class Pledge(SQLModel, table=True):
    """Money promised to a funding call by an actor or a named offline funder."""

    __table_args__ = (Index("ix_pledge_call_state", "funding_call_id", "state"),)

    id: str = Field(primary_key=True, max_length=32)
    uri: str = Field(max_length=2048, unique=True)
    funding_call_id: str = Field(foreign_key="funding_call.id")
    pledger_id: int | None = Field(default=None, foreign_key="actor.id", index=True)
    funder_name: str | None = Field(default=None, max_length=200)
    sector: str = Field(max_length=16)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    message: str = Field(default="", max_length=2000)
    state: str = Field(default=PledgeState.offered, max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    offer_uri: str | None = Field(default=None, max_length=2048, unique=True)
    #: Recorded by the call's owner for a funder outside the fediverse: no actor vouches for
    #: it (an actor's name is carried only by pledges it made itself).
    recorded_by_owner: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: datetime = _created()
    updated_at: datetime = _created()


class FundingCallEvent(SQLModel, table=True):
    """One change to a call's figures or status: what, who, when, and the figures after it.

    Rows are only ever added: triggers (migration 0008) refuse any UPDATE or DELETE of them.
    """

    __tablename__ = "funding_call_event"
    __table_args__ = (Index("ix_funding_call_event_call", "funding_call_id", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    funding_call_id: str = Field(foreign_key="funding_call.id", max_length=32)
    kind: str = Field(max_length=32)
    #: Who made the change: an actor's URI, or None for this instance (a deadline passing).
    actor_uri: str | None = Field(default=None, max_length=2048)
    pledge_id: str | None = Field(default=None, foreign_key="pledge.id", max_length=32)
    #: The pledge's amount, for a pledge accepted or withdrawn.
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    goal_minor: int = Field(sa_type=BigInteger)
    raised_minor: int = Field(sa_type=BigInteger)
    status: str = Field(max_length=16)
    at: datetime = _created()


class Declaration(SQLModel, table=True):
    """An actor's declaration that it uses a project, or provides services for it."""

    __table_args__ = (
        Index("ix_declaration_project_kind", "project_id", "kind"),
        # One live declaration of each kind per actor and project; deleted ones stay as
        # tombstones (their ids are never reused), so the rule leaves them out.
        Index(
            "uq_declaration_live",
            "actor_id",
            "project_id",
            "kind",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    uri: str = Field(max_length=2048, unique=True)
    url: str | None = Field(default=None, max_length=2048)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    is_local: bool = Field(default=True)
    #: ``schemas.states.DeclarationKind``: ``uses`` or ``serves``.
    kind: str = Field(max_length=16)
    project_id: str = Field(foreign_key="project.id")
    #: The services offered, one bit per ``ServiceKind`` (in its order): filtered in SQL.
    services: int = Field(default=0)
    text: str = Field(default="", max_length=500)
    #: Set by the project's owner (spam): left out of every count, list and export.
    hidden_at: datetime | None = _ts()
    published_at: datetime = _created()
    updated_at: datetime = _created()
    deleted_at: datetime | None = _ts()


class DeclarationArea(SQLModel, table=True):
    """A region a service declaration covers, for filtering in SQL."""

    __tablename__ = "declaration_area"

    declaration_id: str = Field(foreign_key="declaration.id", primary_key=True, max_length=32)
    code: str = Field(primary_key=True, max_length=8, index=True)
    position: int = Field(default=0)


class ObjectTag(SQLModel, table=True):
    """Hashtags of projects and funding calls, for filtering in SQL."""

    __tablename__ = "object_tag"
    #: A tag's objects of one kind (migration 0015): a tag carried by projects only tells a
    #: search of funding calls so from the index, without looking its projects up.
    __table_args__ = (Index("ix_object_tag_tag_kind", "tag", "kind"),)

    object_uri: str = Field(primary_key=True, max_length=2048)
    tag: str = Field(primary_key=True, max_length=100)
    #: The table of the object: "project" or "funding_call".
    kind: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})


class Interaction(SQLModel, table=True):
    """A reply, like or announce received on one of our objects."""

    __table_args__ = (Index("ix_interaction_object_kind", "object_uri", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    kind: str = Field(max_length=16)
    actor_uri: str = Field(max_length=2048)
    object_uri: str = Field(max_length=2048)
    content_html: str | None = _text()
    published_at: datetime = _created()


#: How long a POST's ``Idempotency-Key`` is remembered (then purged by housekeeping).
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("token_hash", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_path: str = Field(max_length=500)
    #: SHA-256 of the validated request body: a key reused for another request is refused.
    request_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    status_code: int
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _created()
