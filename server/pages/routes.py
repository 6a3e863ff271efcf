"""HTML pages for people: the home directory and actor profiles."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from schemas.states import ServiceKind
from server.domain.actors import get_local_actor, region_label
from server.domain.directory import list_directory
from server.domain.labels import KIND_LABELS
from server.http.deps import SessionDep, StateDep
from server.http.filters import DirectoryQuery
from server.http.pagecache import keep_page
from server.pages.templating import render_page, render_profile

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(
    request: Request,
    state: StateDep,
    session: SessionDep,
    filters: DirectoryQuery,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The directory: actors, projects and funding calls of this and other instances."""
    page = await list_directory(
        session, filters, cursor=cursor, limit=30, today=state.clock.today()
    )
    more = None
    if page.next_cursor:
        query = filters.query_string() | {"cursor": page.next_cursor}
        more = "/?" + urlencode(query)
    search = filters.query_string()
    providers = {
        k: v
        for k, v in (
            ("project", filters.serves),
            ("region", filters.area),
            ("service", filters.service),
        )
        if v
    }
    context = {
        "entries": page.items,
        "filters": filters,
        "next_url": more,
        "actor_kinds": list(KIND_LABELS.items()),
        "kind_labels": KIND_LABELS,
        "region_label": region_label,
        "services": [str(s) for s in ServiceKind],
        "feed_url": "/feeds/directory.atom" + (f"?{urlencode(search)}" if search else ""),
        "providers_csv": "/api/v1/providers?" + urlencode(providers | {"format": "csv"}),
        "providers_json": "/api/v1/providers?" + urlencode(providers),
    }
    return keep_page(
        request, state.documents, render_page(request, state.settings, "home.html", context)
    )


@router.get("/@{username}")
async def profile(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """An actor's profile page, linking its AS2 document."""
    actor = await get_local_actor(session, username)
    page = await render_profile(request, state.settings, session, actor, today=state.clock.today())
    return keep_page(request, state.documents, page)
