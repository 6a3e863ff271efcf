"""HTML pages for people: the home directory, actor profiles, following from a profile, and
the language switcher."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from schemas.states import ServiceKind
from server.domain.actors import get_local_actor, region_label
from server.domain.directory import list_directory
from server.domain.labels import KIND_LABELS, SECTOR_LABELS, STATUS_LABELS
from server.errors import ServiceError
from server.http.deps import SessionDep, StateDep
from server.http.filters import DirectoryQuery
from server.http.pagecache import keep_page
from server.http.visits import LANGUAGE_COOKIE, local_path
from server.i18n import LANGUAGES, N_
from server.pages.profiles import remote_follow, render_profile
from server.pages.templating import reader_of, render_page

router = APIRouter(include_in_schema=False)

#: Currencies the directory's menu offers (others can still be asked for in the URL).
CURRENCIES = ("EUR", "CHF", "GBP", "USD", "CAD")

#: How long a visitor's choice of language is kept.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


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
    reader = await reader_of(request, session)
    context = {
        "entries": page.items,
        "filters": filters,
        "filtered": bool(search) or cursor is not None,
        "next_url": more,
        "region_label": region_label,
        "services": [str(s) for s in ServiceKind],
        "statuses": list(STATUS_LABELS.items()),
        "currencies": sorted({*CURRENCIES, *([filters.currency] if filters.currency else [])}),
        "kinds": list(KIND_LABELS.items()),
        "sectors": list(SECTOR_LABELS.items()),
        "feed_url": "/feeds/directory.atom" + (f"?{urlencode(search)}" if search else ""),
        "providers_csv": "/api/v1/providers?" + urlencode(providers | {"format": "csv"}),
        "providers_json": "/api/v1/providers?" + urlencode(providers),
    }
    page_response = render_page(request, state.settings, reader, "home.html", context)
    return keep_page(request, state.documents, page_response)


@router.get("/@{username}")
async def profile(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """An actor's profile page, linking its AS2 document."""
    actor = await get_local_actor(session, username)
    page = await render_profile(request, state.settings, session, actor, today=state.clock.today())
    return keep_page(request, state.documents, page)


@router.post("/@{username}/follow")
async def follow_from_elsewhere(
    username: str,
    request: Request,
    state: StateDep,
    session: SessionDep,
    handle: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Send a visitor to their own server to follow this actor (303), or say why not."""
    actor = await get_local_actor(session, username)
    try:
        target = await remote_follow(state.finder, actor, handle.strip())
    except ValueError as exc:
        return await render_profile(
            request,
            state.settings,
            session,
            actor,
            today=state.clock.today(),
            handle=handle,
            error=str(exc),
        )
    return RedirectResponse(target, status_code=303)


@router.get("/language")
async def choose_language(
    to: Annotated[str, Query(max_length=8)],
    request: Request,
    state: StateDep,
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> Response:
    """Keep a visitor's choice of language in a cookie and go back to the page (303)."""
    if to not in LANGUAGES:
        raise ServiceError(N_("This language is not offered."))
    response = RedirectResponse(local_path(next, "/"), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        to,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=state.settings.is_https,
    )
    return response
