"""JSON API: the directory of local and remote entries, and looking up remote ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from schemas.api import RegionFilter
from schemas.states import ActorKind, ServiceKind
from server.domain.directory import (
    DirectoryEntry,
    DirectoryFilters,
    DirectoryPage,
    Kind,
    list_directory,
)
from server.domain.lookup import lookup
from server.http.deps import Reader, SessionDep, StateDep

router = APIRouter(prefix="/api/v1", tags=["directory"])


@router.get("/directory")
async def get_directory(
    session: SessionDep,
    state: StateDep,
    type: Kind | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    license: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    kind: ActorKind | None = None,
    region: Annotated[RegionFilter, Query(description="The actors' own region")] = None,
    uses: Annotated[str | None, Query(max_length=2048, description="A project's id or URI")] = None,
    serves: Annotated[
        str | None, Query(max_length=2048, description="A project's id or URI")
    ] = None,
    area: Annotated[RegionFilter, Query(description="Providers serving this region")] = None,
    service: ServiceKind | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DirectoryPage:
    """Actors, projects and funding calls of this and other instances, newest first.

    ``kind``, ``region``, ``uses``, ``serves``, ``area`` and ``service`` filter actors:
    "public bodies that use X" is ``kind=public_body&uses=X``, "providers of X in region Y,
    for hosting" ``serves=X&area=Y&service=hosting``."""
    filters = DirectoryFilters(
        type=type,
        q=q,
        tag=tag,
        license=license,
        status=status,
        currency=currency,
        kind=kind,
        region=region,
        uses=uses,
        serves=serves,
        area=area,
        service=service,
    )
    return await list_directory(
        session, filters, cursor=cursor, limit=limit, today=state.clock.today()
    )


@router.get("/lookup")
async def get_lookup(
    _: Reader,
    state: StateDep,
    session: SessionDep,
    q: Annotated[str, Query(min_length=3, max_length=2048)],
) -> DirectoryEntry:
    """Resolve a handle (``user@host``) or an object URI, fetching and storing remote ones."""
    return await lookup(session, state.finder, q, today=state.clock.today())
