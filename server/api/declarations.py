"""JSON API: declarations (an actor uses a project, or provides services for it), their
moderation by the project's owner, and the providers buyers download."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from schemas.api import RegionFilter
from schemas.declarations import (
    DeclarationCreate,
    DeclarationPublic,
    DeclarationsPublic,
    DeclarationUpdate,
    ProvidersPublic,
)
from schemas.states import DeclarationKind, ServiceKind
from server.domain.access import acting_actor, owner_for_change
from server.domain.declarations import (
    create_declaration,
    declaration_public,
    delete_declaration,
    get_declaration,
    list_declarations,
    resolve_project,
    set_hidden,
    update_declaration,
)
from server.domain.projects import get_project
from server.domain.providers import list_providers
from server.domain.tokens import Principal
from server.http.deps import Reader, SessionDep, StateDep, Writer
from server.http.etags import json_with_etag
from server.http.idempotency import IdempotencyKeyHeader, answer_once
from server.http.jsonroute import StorableJSONRoute
from server.storage.models import Actor, Declaration

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["declarations"], route_class=StorableJSONRoute)

Cursor = Annotated[str | None, Query(max_length=40)]
Limit = Annotated[int, Query(ge=1, le=200)]
ProjectRef = Annotated[str | None, Query(max_length=2048, description="A project's id or URI")]


async def _owned(
    session: SessionDep, caller: Principal, object_id: str
) -> tuple[Actor, Declaration]:
    declaration = await get_declaration(session, object_id)
    return await owner_for_change(session, caller, declaration, "declaration"), declaration


@router.post("/declarations", status_code=201, response_model=DeclarationPublic)
async def post_declaration(
    body: DeclarationCreate,
    request: Request,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Declare that the token's actor uses a project, or serves it; followers and the
    project's owner receive a ``Create{Note}``."""

    async def create() -> DeclarationPublic:
        actor = await acting_actor(session, caller)
        declaration = await create_declaration(
            session, state.urls, actor, body, finder=state.finder, today=state.clock.today()
        )
        return await declaration_public(session, declaration)

    response = await answer_once(
        request, session, caller, idempotency_key, body, status_code=201, create=create
    )
    state.federation.wake_delivery()
    return response


@router.get("/declarations", response_model=DeclarationsPublic)
async def read_declarations(
    request: Request,
    state: StateDep,
    session: SessionDep,
    project: ProjectRef = None,
    kind: DeclarationKind | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Response:
    """Live declarations, newest first (hidden ones left out), for one project if given."""
    found = None
    if project:
        found = await resolve_project(session, project, today=state.clock.today())
    rows, next_cursor = await list_declarations(
        session,
        project_id=found.id if found else None,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    items = [await declaration_public(session, d) for d in rows]
    return json_with_etag(request, DeclarationsPublic(items=items, next_cursor=next_cursor))


@router.get("/declarations/{object_id}", response_model=DeclarationPublic)
async def read_declaration(object_id: str, request: Request, session: SessionDep) -> Response:
    """Read one declaration (410 once deleted)."""
    declaration = await get_declaration(session, object_id)
    return json_with_etag(request, await declaration_public(session, declaration))


@router.patch("/declarations/{object_id}", response_model=DeclarationPublic)
async def patch_declaration(
    object_id: str, body: DeclarationUpdate, caller: Writer, state: StateDep, session: SessionDep
) -> DeclarationPublic:
    """Change services, regions or text; followers and the owner receive an ``Update``."""
    actor, declaration = await _owned(session, caller, object_id)
    declaration = await update_declaration(session, state.urls, actor, declaration, body)
    public = await declaration_public(session, declaration)
    await session.commit()
    state.federation.wake_delivery()
    return public


@router.delete("/declarations/{object_id}", status_code=204)
async def remove_declaration(
    object_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Withdraw a declaration; followers and the owner receive a ``Delete{Tombstone}``."""
    actor, declaration = await _owned(session, caller, object_id)
    await delete_declaration(session, state.urls, actor, declaration)
    await session.commit()
    state.federation.wake_delivery()


@router.get("/projects/{object_id}/declarations", response_model=DeclarationsPublic)
async def read_project_declarations(
    object_id: str,
    caller: Reader,
    session: SessionDep,
    kind: DeclarationKind | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeclarationsPublic:
    """Every declaration about one of the token's projects, hidden ones included."""
    project = await get_project(session, object_id)
    await owner_for_change(session, caller, project, "project")
    rows, next_cursor = await list_declarations(
        session, project_id=project.id, kind=kind, include_hidden=True, cursor=cursor, limit=limit
    )
    items = [await declaration_public(session, d) for d in rows]
    return DeclarationsPublic(items=items, next_cursor=next_cursor)


async def _moderate(
    object_id: str, caller: Principal, session: SessionDep, *, hidden: bool
) -> DeclarationPublic:
    declaration = await set_hidden(
        session, caller, await get_declaration(session, object_id), hidden=hidden
    )
    public = await declaration_public(session, declaration)
    await session.commit()
    return public


@router.post("/declarations/{object_id}/hide", response_model=DeclarationPublic)
async def hide_declaration(
    object_id: str, caller: Writer, session: SessionDep
) -> DeclarationPublic:
    """Hide a declaration about one of the token's projects (spam): no count, list or export
    shows it any more."""
    return await _moderate(object_id, caller, session, hidden=True)


@router.post("/declarations/{object_id}/unhide", response_model=DeclarationPublic)
async def unhide_declaration(
    object_id: str, caller: Writer, session: SessionDep
) -> DeclarationPublic:
    """Show a hidden declaration again."""
    return await _moderate(object_id, caller, session, hidden=False)


_CSV_COLUMNS = (
    "name", "handle", "kind", "legal_form", "siren", "siret", "region", "email", "website",
    "url", "project_name", "project_uri", "services", "regions", "text", "declaration",
    "declared_at",
)  # fmt: skip


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (names are remote input)."""
    text = " ".join(value) if isinstance(value, list) else str(value or "")
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _csv(payload: ProvidersPublic) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for item in payload.items:
        row = item.model_dump(mode="json")
        writer.writerow(_cell(row[name]) for name in _CSV_COLUMNS)
    return out.getvalue().encode()


@router.get("/providers", response_model=ProvidersPublic)
async def read_providers(
    request: Request,
    state: StateDep,
    session: SessionDep,
    project: ProjectRef = None,
    region: Annotated[RegionFilter, Query()] = None,
    service: ServiceKind | None = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """Providers of a project, or of any project, in a region and for a service, as JSON or
    CSV (for buyers; at most 5 000, newest first)."""
    found = await resolve_project(session, project, today=state.clock.today()) if project else None
    payload = ProvidersPublic(
        items=await list_providers(
            session, project_id=found.id if found else None, area=region, service=service
        )
    )
    if format == "json":
        return json_with_etag(request, payload)
    return Response(
        _csv(payload),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="providers.csv"'},
    )
