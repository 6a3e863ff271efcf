"""Typed FastAPI dependencies: the app state, a database session and the caller's token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import KeyResolver
from federation.fetch import Fetcher
from federation.integrity import MultikeyResolver
from federation.ports import ActorStore, InboxStore, MultikeyStore
from server.clock import Clock
from server.domain.lookup import Finder
from server.domain.tokens import Principal, authenticate
from server.http.doccache import DocumentCache
from server.settings import Settings
from server.storage.db import MAX_BIG_ID, MAX_ID, Database
from server.storage.models import Actor
from server.storage.version import DataVersion
from server.urls import Urls

__all__ = [
    "Admin",
    "AppState",
    "BigRowId",
    "Machinery",
    "Reader",
    "RowId",
    "SessionDep",
    "StateDep",
    "Writer",
    "authenticate_request",
    "get_state",
    "require_scope",
    "wants_as2",
]


class Store(ActorStore, InboxStore, MultikeyStore, Protocol):
    """The SQL store of ``federation.ports``, whose domain rules admins can refresh."""

    def forget_domains(self) -> None: ...

    def forget_inbox(self, username: str) -> None: ...

    async def personal_inbox(self, username: str) -> InboxStore:
        """Return the inbox of a local actor; raises ``NotFound`` or ``Gone``."""
        ...


class Machinery(Protocol):
    """What requests use of a process's federation machinery (``server.runtime.Federation``).

    A protocol, so that the HTTP layer names what it needs without importing the workers.
    """

    documents: DocumentCache
    data_version: DataVersion
    fetcher: Fetcher
    resolver: KeyResolver
    multikeys: MultikeyResolver
    store: Store

    def wake_delivery(self) -> None: ...

    def wake_inbox(self) -> None: ...


@dataclass
class AppState:
    """What the lifespan builds once and every request shares."""

    settings: Settings
    db: Database
    urls: Urls
    clock: Clock
    federation: Machinery

    @property
    def documents(self) -> DocumentCache:
        """The served-documents cache, shared with the workers of this process."""
        return self.federation.documents

    @property
    def domain(self) -> str:
        return self.settings.domain

    @property
    def finder(self) -> Finder:
        """What looking up remote actors and objects needs, and no more."""
        return Finder(
            urls=self.urls,
            fetcher=self.federation.fetcher,
            actors=self.federation.store,
            insecure_http=self.settings.allow_private_networks
            and self.urls.base.startswith("http://"),
        )


async def get_state(request: Request) -> AppState:
    """Return the state built by ``create_app`` (async: sync dependencies run in a thread)."""
    state: AppState = request.app.state.communs
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """Yield a session for one request."""
    async with state.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


#: The bearer scheme, as the OpenAPI document declares it (the "Authorize" button of /docs);
#: the dependency below answers a missing or bad token itself, in the JSON error shape.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from `communs token create`, with the scopes the route needs "
    "(read, write, admin).",
)


def _unauthorized(detail: str) -> HTTPException:
    # The body may not have been read: the connection closes rather than read the rest.
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer", "Connection": "close"})


async def authenticate_request(request: Request, session: AsyncSession) -> Principal:
    """Return the principal of the request's bearer token (401 without a valid one), checked
    once per request: the route class asks before the body is read (``server.http.jsonroute``),
    the route's dependency after."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    credentials = await _BEARER(request)
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        raise _unauthorized("a bearer token is required")
    principal = await authenticate(session, token)
    if principal is None:
        raise _unauthorized("invalid or revoked token")
    request.state.principal = principal
    return principal


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Return a dependency that demands a bearer token carrying ``scope`` (401/403 otherwise).

    A suspended actor's token is refused (403) for every scope but ``read``.
    """

    async def dependency(
        request: Request,
        session: SessionDep,
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],  # for OpenAPI
    ) -> Principal:
        principal = await authenticate_request(request, session)
        if not principal.allows(scope):
            raise HTTPException(403, f"this token lacks the {scope!r} scope")
        if scope != "read" and principal.actor_id is not None:
            suspended_at = await session.scalar(
                select(Actor.suspended_at).where(Actor.id == principal.actor_id)
            )
            if suspended_at is not None:
                raise HTTPException(403, "this actor is suspended")
        return principal

    # read by server.http.openapi, and by server.http.jsonroute (token before body)
    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


#: The caller of a route, by the scope it needs: read, write (publishing) or admin.
Reader = Annotated[Principal, Depends(require_scope("read"))]
Writer = Annotated[Principal, Depends(require_scope("write"))]
Admin = Annotated[Principal, Depends(require_scope("admin"))]


def wants_as2(request: Request) -> bool:
    """Whether the client asked for ActivityStreams rather than HTML."""
    accept = request.headers.get("accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


#: The id of a row in a path (a follow): a larger one would be a database error, not a 404.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The same, for tables with 64-bit ids (deliveries).
BigRowId = Annotated[int, Path(ge=1, le=MAX_BIG_ID)]
