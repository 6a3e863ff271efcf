"""JSON API: the directory of local and remote entries, and looking up remote ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.domain.directory import DirectoryEntry, DirectoryPage, list_directory
from server.domain.lookup import lookup
from server.http.deps import Reader, SessionDep, StateDep
from server.http.filters import DirectoryQuery

router = APIRouter(prefix="/api/v1", tags=["directory"])


@router.get("/directory")
async def get_directory(
    session: SessionDep,
    state: StateDep,
    filters: DirectoryQuery,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DirectoryPage:
    """Actors, projects and funding calls of this and other instances, newest first.

    ``kind``, ``region``, ``uses``, ``serves``, ``area`` and ``service`` filter actors:
    "public bodies that use X" is ``kind=public_body&uses=X``, "providers of X in region Y,
    for hosting" ``serves=X&area=Y&service=hosting``."""
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
