"""Moderation: domain blocks (``silence``, ``reject``) and suspended local actors.

A domain's block is one column of its ``Domain`` row, read where it matters:

- ``reject`` — the inbox drops the domain's activities (202, nothing stored; ``SqlStore``),
  fan-out skips it (``publishing``) and its Follows get Reject (``follows``). Setting it also
  removes every follow between our actors and the domain's, abandons the deliveries still
  pending to it and ignores its activities still waiting in the inbox queue.
- ``silence`` — the domain's actors are left out of the directory and their Follows wait for
  manual approval; nothing else changes.

A suspended local actor is left out of the directory, its Follows get Reject, its tokens may
not write (``deps.require_scope``) and its AS2 document carries ``"suspended": true``.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    delete,
    exists,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from federation.actors import HOST_MAX
from schemas.states import ActivityState, DeliveryState, DomainBlock
from server.clock import utcnow
from server.domain.actors import get_local_actor
from server.errors import Invalid
from server.i18n import N_
from server.storage.db import affected
from server.storage.domains import BLOCKED_ERROR, block_rules, domain_variants, rule_for, within
from server.storage.models import Activity, Actor, Delivery, Domain, Follow

__all__ = [
    "ActorModeration",
    "DomainBlockChange",
    "DomainBlockUpdate",
    "DomainPublic",
    "list_domains",
    "listed_in_directory",
    "normalize_host",
    "set_domain_block",
    "suspend_actor",
    "unlisted_actors",
    "unsuspend_actor",
]


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")


class DomainBlockUpdate(BaseModel):
    """Body of ``PUT /api/v1/admin/domains/{host}``."""

    model_config = ConfigDict(extra="forbid")

    block: DomainBlock


class DomainPublic(BaseModel):
    """What the instance holds about a remote host."""

    host: str
    block: DomainBlock
    is_unavailable: bool
    failure_days: list[str]
    software: str | None
    updated_at: datetime


class DomainBlockChange(DomainPublic):
    """A domain after its block changed, with what the change removed."""

    follows_removed: int = 0
    deliveries_abandoned: int = 0


class ActorModeration(BaseModel):
    """A local actor's moderation state."""

    username: str
    uri: str
    is_suspended: bool
    suspended_at: datetime | None


def normalize_host(value: str) -> str:
    """Return ``value`` as a lower-case ASCII (IDNA) ``host[:port]``, the form of ``Domain.host``.

    Raises ``Invalid`` for anything else: URLs, paths, user info, empty labels, bad ports.
    """
    text = value.strip().lower()
    if not text or any(char in text for char in "/@?#\\ "):
        raise Invalid(
            N_("not a host name (give the domain alone, no scheme or path): {value!r}"), value=value
        )
    host, port = text, ""
    if text.startswith("["):  # [IPv6]:port
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise Invalid(N_("not a host name: {value!r}"), value=value)
        port = rest[1:] if rest else ""
        _check_ipv6(host[1:-1], value)
    else:
        if text.count(":") == 1:
            host, port = text.split(":")
        host = _ascii_host(host.rstrip("."), value)
    if port or text.endswith(":"):
        if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
            raise Invalid(N_("not a valid port in {value!r}"), value=value)
        host = f"{host}:{int(port)}"
    if len(host) > HOST_MAX:
        raise Invalid(N_("longer than {limit} characters: {value!r}"), limit=HOST_MAX, value=value)
    return host


def _check_ipv6(address: str, original: str) -> None:
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        raise Invalid(N_("not a host name: {value!r}"), value=original) from None
    if "%" in address:  # a zone names an interface of the sender's machine, not a server
        raise Invalid(N_("not a host name (an IPv6 zone): {value!r}"), value=original)


def _ascii_host(host: str, original: str) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Invalid(N_("not a host name: {value!r}"), value=original) from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Invalid(N_("not a host name: {value!r}"), value=original)
    return ascii_host


def _public(domain: Domain) -> DomainPublic:
    return DomainPublic(
        host=domain.host,
        block=DomainBlock(domain.block),
        is_unavailable=domain.is_unavailable,
        failure_days=list(domain.failure_days),
        software=domain.software,
        updated_at=domain.updated_at,
    )


async def list_domains(session: AsyncSession) -> list[DomainPublic]:
    """Return every domain that is blocked, silenced or marked unavailable, by host."""
    query = (
        select(Domain)
        .where((Domain.block != DomainBlock.none) | (Domain.is_unavailable == True))
        .order_by(col(Domain.host))
    )
    return [_public(row) for row in (await session.execute(query)).scalars()]


async def set_domain_block(
    session: AsyncSession, host: str, block: DomainBlock | str, *, local_domain: str | None = None
) -> DomainBlockChange:
    """Set a domain's block and commit; return the domain and what a ``reject`` removed.

    Raises ``Invalid`` for a malformed host, an unknown block or this instance's own domain;
    nothing is written then.
    """
    normalized = normalize_host(host)
    try:
        wanted = DomainBlock(block)
    except ValueError:
        raise Invalid(
            N_("block must be one of: {choices}"), choices=", ".join(DomainBlock)
        ) from None
    if local_domain is not None and (
        normalized == local_domain.lower()
        or (wanted != DomainBlock.none and normalized in domain_variants(local_domain.lower()))
    ):
        raise Invalid(
            N_("this instance's own domain cannot be blocked, nor a domain it belongs to")
        )
    for attempt in (1, 2):
        now = utcnow()
        domain = await session.get(Domain, normalized)
        if domain is None:
            domain = Domain(host=normalized, updated_at=now)
            session.add(domain)
        domain.block = wanted
        domain.updated_at = now
        removed = abandoned = 0
        if wanted == DomainBlock.reject:
            removed, abandoned = await _cut_off(session, normalized, now)
        try:
            await session.commit()
        except IntegrityError:  # the row was created concurrently (a delivery failure, an admin)
            await session.rollback()
            if attempt == 2:
                raise
            continue
        break
    return DomainBlockChange(
        **_public(domain).model_dump(), follows_removed=removed, deliveries_abandoned=abandoned
    )


async def _cut_off(session: AsyncSession, host: str, now: datetime) -> tuple[int, int]:
    """Remove follows with the host's actors, abandon deliveries, ignore queued activities.

    Only the hosts the reject now governs are cut off: a subdomain with a more specific block
    of its own (``silence``, say) keeps its follows, as ``rule_for`` decides everywhere else.
    """
    rejected = await _governed_by_reject(session, host)
    theirs = select(Actor.id).where(col(Actor.domain).in_(rejected), Actor.is_local == False)
    follows = await session.execute(
        delete(Follow).where(
            or_(col(Follow.follower_id).in_(theirs), col(Follow.followed_id).in_(theirs))
        )
    )
    deliveries = await session.execute(
        update(Delivery)
        .where(col(Delivery.host).in_(rejected), Delivery.state == DeliveryState.pending)
        # The lease goes too: a send in flight then cannot overwrite "abandoned" with its outcome.
        .values(
            state=DeliveryState.abandoned,
            last_error=BLOCKED_ERROR,
            locked_until=None,
            updated_at=now,
        )
    )
    await session.execute(
        update(Activity)
        .where(
            Activity.direction == "in",
            Activity.state == ActivityState.received,
            or_(
                col(Activity.actor_uri).startswith(f"https://{host}/", autoescape=True),
                col(Activity.actor_uri).startswith(f"http://{host}/", autoescape=True),
                col(Activity.actor_uri).in_(
                    select(Actor.uri).where(col(Actor.domain).in_(rejected))
                ),
            ),
        )
        .values(state=ActivityState.ignored, error=BLOCKED_ERROR, locked_until=None)
    )
    return affected(follows), affected(deliveries)


async def _governed_by_reject(session: AsyncSession, host: str) -> list[str]:
    """Return the remote hosts known here whose rule, all blocks considered, is ``reject``.

    Candidates are the actor domains and pending delivery hosts that contain ``host`` at all;
    ``rule_for`` then keeps those it governs, written however they were (port, final dot).
    """
    rules = await block_rules(session)
    candidates = set(
        (
            await session.execute(
                select(Actor.domain)
                .where(col(Actor.domain).contains(host, autoescape=True), Actor.is_local == False)
                .distinct()
            )
        ).scalars()
    )
    candidates.update(
        (
            await session.execute(
                select(Delivery.host)
                .where(
                    col(Delivery.host).contains(host, autoescape=True),
                    Delivery.state == DeliveryState.pending,
                )
                .distinct()
            )
        ).scalars()
    )
    return [
        candidate
        for candidate in candidates
        if candidate and rule_for(rules, candidate.lower()) == DomainBlock.reject
    ]


def listed_in_directory() -> ColumnElement[bool]:
    """Return the condition on ``Actor`` "shown in the directory".

    Not suspended nor deleted, and not from a silenced or rejected domain or one of its
    subdomains (the actors of ``unlisted_actors``, the other way round).
    """
    moderated = exists().where(Domain.block != DomainBlock.none, within(Actor.domain, Domain.host))
    return col(Actor.suspended_at).is_(None) & col(Actor.deleted_at).is_(None) & ~moderated


def unlisted_actors() -> CompoundSelect[tuple[int]]:
    """Return the query of the ids of actors left out of the directory (suspended, deleted,
    or on a silenced or rejected domain or one of its subdomains): usually a handful, which
    the directory leaves out of its pages rather than checking every listed actor."""
    closed = select(Actor.id).where(
        col(Actor.suspended_at).is_not(None) | col(Actor.deleted_at).is_not(None)
    )
    moderated = select(Actor.id).join(
        Domain, and_(Domain.block != DomainBlock.none, within(Actor.domain, Domain.host))
    )
    return union(closed, moderated)


async def _set_suspended(session: AsyncSession, username: str, *, suspend: bool) -> ActorModeration:
    actor = await get_local_actor(session, username)
    if suspend and actor.suspended_at is None:
        actor.suspended_at = utcnow()
    elif not suspend:
        actor.suspended_at = None
    actor.updated_at = utcnow()
    await session.commit()
    return ActorModeration(
        username=actor.username,
        uri=actor.uri,
        is_suspended=actor.suspended_at is not None,
        suspended_at=actor.suspended_at,
    )


async def suspend_actor(session: AsyncSession, username: str) -> ActorModeration:
    """Suspend a local actor (kept at its first suspension time if already suspended).

    Raises ``NotFound`` for an unknown local actor.
    """
    return await _set_suspended(session, username, suspend=True)


async def unsuspend_actor(session: AsyncSession, username: str) -> ActorModeration:
    """Lift a local actor's suspension.

    Raises ``NotFound`` for an unknown local actor.
    """
    return await _set_suspended(session, username, suspend=False)
