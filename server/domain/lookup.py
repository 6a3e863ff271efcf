"""Finding actors by handle or URI: local first, then WebFinger and the safe fetcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import parse_actor
from federation.errors import FederationError
from federation.fetch import Fetcher
from federation.ports import ActorStore
from federation.webfinger import parse_handle, resolve_handle
from schemas.base import get_id
from server.domain.directory import DirectoryEntry, Kind, entry_of
from server.domain.remote_objects import RemoteObjectError, is_communs_note, store_remote_object
from server.errors import Conflict, Invalid, NotFound
from server.i18n import N_
from server.storage.models import Actor, FundingCall, Project
from server.urls import Urls

__all__ = ["Finder", "funding_call_by_uri", "lookup", "resolve_actor"]


@dataclass(frozen=True)
class Finder:
    """What finding remote actors and objects takes: our URLs, the safe fetcher, the store."""

    urls: Urls
    fetcher: Fetcher
    actors: ActorStore
    #: WebFinger over plain http (a development instance on loopback)
    insecure_http: bool = False


async def resolve_actor(session: AsyncSession, finder: Finder, target: str) -> Actor:
    """Return the actor named by ``user@host`` or an actor URI, fetching and storing remote ones.

    Raises ``Invalid`` for malformed input and ``NotFound`` when nothing usable answers.
    """
    target = target.strip()
    if target.startswith(("http://", "https://")):
        uri = target
    else:
        try:
            username, host = parse_handle(target)
        except FederationError as exc:
            raise Invalid(str(exc)) from None
        if host == finder.urls.domain:
            uri = finder.urls.actor(username)
        else:
            await session.commit()  # as below: no connection held across a network request
            try:
                uri = await resolve_handle(
                    finder.fetcher, f"{username}@{host}", insecure_http=finder.insecure_http
                )
            except FederationError as exc:
                raise NotFound(
                    N_("cannot resolve {target}: {problem}"), target=target, problem=exc
                ) from None
    found = (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one_or_none()
    if found is not None or finder.urls.is_local(uri):
        if found is None:
            raise NotFound(N_("no local actor at {uri}"), uri=uri)
        return found
    # End the read-only transaction: the store saves in its own session, and SQLite has one
    # connection (holding it here deadlocked until the pool timed out).
    await session.commit()
    try:
        document = await finder.fetcher.fetch_object(uri)
        remote = parse_actor(document)
    except FederationError as exc:
        raise NotFound(
            N_("cannot fetch the actor {uri}: {problem}"), uri=uri, problem=exc
        ) from None
    if urlsplit(remote.uri).netloc != urlsplit(uri).netloc:
        raise NotFound(N_("{uri} is not an actor of its own host"), uri=uri)
    await finder.actors.save_remote_actor(remote)
    saved = (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one_or_none()
    if saved is None:  # not stored: another row holds its handle or key (an account re-made)
        raise Conflict(
            N_("{uri} conflicts with an actor already known under its handle or key"), uri=uri
        )
    return saved


async def lookup(session: AsyncSession, finder: Finder, q: str, *, today: date) -> DirectoryEntry:
    """Return the directory entry of a handle or URI, fetching and storing remote ones.

    Raises ``Invalid`` for malformed input and ``NotFound`` when nothing usable answers.
    """
    q = q.strip()
    if not q.startswith(("http://", "https://")) or finder.urls.actor("") in q:
        actor = await resolve_actor(session, finder, q)
        return entry_of("actor", actor, {}, today)
    found = await _stored_object(session, q)
    if found is None and not finder.urls.is_local(q):
        try:
            document = await finder.fetcher.fetch_object(q)
        except FederationError as exc:
            raise NotFound(N_("cannot fetch {q}: {problem}"), q=q, problem=exc) from None
        if not is_communs_note(document):
            actor = await resolve_actor(session, finder, q)
            return entry_of("actor", actor, {}, today)
        author_uri = get_id(document.get("attributedTo"))
        if not author_uri:
            raise NotFound(N_("{q} names no author"), q=q)
        await resolve_actor(session, finder, author_uri)
        await session.commit()
        try:
            await store_remote_object(session, author_uri, document, require_follow=False)
        except RemoteObjectError as exc:
            raise NotFound(
                N_("{q} is not a usable Communs object: {problem}"), q=q, problem=exc
            ) from None
        found = await _stored_object(session, q)
    if found is None:
        raise NotFound(N_("nothing known at {q}"), q=q)
    kind, row = found
    owner = await session.get(Actor, row.actor_id)
    return entry_of(kind, row, {owner.id: owner} if owner and owner.id else {}, today)


async def _stored_object(session: AsyncSession, uri: str) -> tuple[Kind, Any] | None:
    tables: tuple[tuple[Kind, Any], ...] = (("project", Project), ("funding_call", FundingCall))
    for kind, table in tables:
        row = (
            await session.execute(select(table).where(table.uri == uri, table.deleted_at == None))
        ).scalar_one_or_none()
        if row is not None:
            return kind, row
    return None


async def funding_call_by_uri(
    session: AsyncSession, finder: Finder, uri: str, *, today: date
) -> FundingCall:
    """Return the live funding call at ``uri``, fetching a remote one first if unknown.

    Raises ``NotFound`` when ``uri`` names something else, and what ``lookup`` raises.
    """
    query = select(FundingCall).where(FundingCall.uri == uri, FundingCall.deleted_at == None)
    call = (await session.execute(query)).scalar_one_or_none()
    if call is None:
        entry = await lookup(session, finder, uri, today=today)
        if entry.type != "funding_call":
            raise NotFound(N_("{uri} is not a funding call"), uri=uri)
        call = (await session.execute(query)).scalar_one()
    return call
