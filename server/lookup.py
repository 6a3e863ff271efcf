"""Finding actors by handle or URI: local first, then WebFinger and the safe fetcher."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import parse_actor
from federation.errors import FederationError
from federation.webfinger import parse_handle, resolve_handle
from server.deps import AppState
from server.errors import Invalid, NotFound
from server.models import Actor

__all__ = ["resolve_actor"]


async def resolve_actor(session: AsyncSession, state: AppState, target: str) -> Actor:
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
        if host == state.domain:
            uri = state.urls.actor(username)
        else:
            try:
                uri = await resolve_handle(
                    state.federation.fetcher,
                    f"{username}@{host}",
                    insecure_http=state.settings.allow_private_networks
                    and state.urls.base.startswith("http://"),
                )
            except FederationError as exc:
                raise NotFound(f"cannot resolve {target}: {exc}") from None
    found = (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one_or_none()
    if found is not None or state.urls.is_local(uri):
        if found is None:
            raise NotFound(f"no local actor at {uri}")
        return found
    # End the read-only transaction: the store saves in its own session, and SQLite has one
    # connection (holding it here deadlocked until the pool timed out).
    await session.commit()
    try:
        document = await state.federation.fetcher.fetch_object(uri)
        remote = parse_actor(document)
    except FederationError as exc:
        raise NotFound(f"cannot fetch the actor {uri}: {exc}") from None
    if urlsplit(remote.uri).netloc != urlsplit(uri).netloc:
        raise NotFound(f"{uri} is not an actor of its own host")
    await state.federation.store.save_remote_actor(remote)
    return (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one()
