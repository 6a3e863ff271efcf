"""HTML pages for people: the home directory and actor profiles."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from schemas.api import RegionFilter
from schemas.states import ActorKind, ServiceKind
from server.domain.actors import get_local_actor, region_label
from server.domain.directory import DirectoryFilters, Kind, list_directory
from server.http.deps import SessionDep, StateDep
from server.pages.templating import KIND_LABELS, render_page, render_profile

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(
    request: Request,
    state: StateDep,
    session: SessionDep,
    type: Kind | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    license: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    currency: Annotated[str | None, Query(max_length=3)] = None,
    kind: Annotated[ActorKind | Literal[""] | None, Query()] = None,
    region: Annotated[RegionFilter, Query()] = None,
    uses: Annotated[str | None, Query(max_length=2048)] = None,
    serves: Annotated[str | None, Query(max_length=2048)] = None,
    area: Annotated[RegionFilter, Query()] = None,
    service: Annotated[ServiceKind | Literal[""] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The directory: actors, projects and funding calls of this and other instances."""
    filters = DirectoryFilters(
        type=type,
        q=q or None,
        tag=tag or None,
        license=license or None,
        status=status or None,
        currency=currency or None,
        kind=kind or None,
        region=region,
        uses=uses or None,
        serves=serves or None,
        area=area,
        service=service or None,
    )
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
    return render_page(request, state.settings, "home.html", context)


@router.get("/@{username}")
async def profile(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """An actor's profile page, linking its AS2 document."""
    return await render_profile(
        request,
        state.settings,
        session,
        await get_local_actor(session, username),
        today=state.clock.today(),
    )
