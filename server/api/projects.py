"""JSON API: projects (digital commons) of the token's actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from schemas.commons import ProjectCreate, ProjectPublic, ProjectsPublic, ProjectUpdate
from schemas.states import ProjectStatus
from server.domain.access import acting_actor, owner_for_change
from server.domain.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    project_public,
    update_project,
)
from server.domain.tokens import Principal
from server.http.deps import SessionDep, StateDep, Writer
from server.http.etags import json_with_etag
from server.http.idempotency import PublishingPost
from server.http.jsonroute import StorableJSONRoute
from server.storage.models import Actor, Project

__all__ = ["Writer", "acting_actor", "router"]

router = APIRouter(prefix="/api/v1", tags=["projects"], route_class=StorableJSONRoute)


async def _owned(session: SessionDep, caller: Principal, object_id: str) -> tuple[Actor, Project]:
    project = await get_project(session, object_id)
    return await owner_for_change(session, caller, project, "project"), project


@router.post("/projects", status_code=201, response_model=ProjectPublic)
async def post_project(body: ProjectCreate, post: PublishingPost) -> Response:
    """Publish a project; followers receive a ``Create{Note}``."""

    async def create() -> ProjectPublic:
        actor = await acting_actor(post.session, post.caller)
        project = await create_project(post.session, post.state.urls, actor, body)
        return await project_public(post.session, project)

    return await post.answer(body, status_code=201, create=create)


@router.get("/projects", response_model=ProjectsPublic)
async def read_projects(
    request: Request,
    state: StateDep,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=300, description="user or user@domain")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    license: Annotated[str | None, Query(max_length=200)] = None,
    status: ProjectStatus | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """List live projects, newest first, with filters and cursor pagination (ETag)."""
    rows, next_cursor = await list_projects(
        session,
        local_domain=state.domain,
        actor=actor,
        tag=tag,
        license=license,
        status=status,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    items = [await project_public(session, p) for p in rows]
    return json_with_etag(request, ProjectsPublic(items=items, next_cursor=next_cursor))


@router.get("/projects/{object_id}", response_model=ProjectPublic)
async def read_project(object_id: str, request: Request, session: SessionDep) -> Response:
    """Read one project (410 once deleted; ETag)."""
    project = await get_project(session, object_id)
    return json_with_etag(request, await project_public(session, project))


@router.patch("/projects/{object_id}", response_model=ProjectPublic)
async def patch_project(
    object_id: str, body: ProjectUpdate, caller: Writer, state: StateDep, session: SessionDep
) -> ProjectPublic:
    """Change a project; followers receive an ``Update{Note}``."""
    actor, project = await _owned(session, caller, object_id)
    project = await update_project(session, state.urls, actor, project, body)
    public = await project_public(session, project)
    await session.commit()
    state.federation.wake_delivery()
    return public


@router.delete("/projects/{object_id}", status_code=204)
async def remove_project(
    object_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Delete a project; followers receive a ``Delete{Tombstone}``."""
    actor, project = await _owned(session, caller, object_id)
    await delete_project(session, state.urls, actor, project)
    await session.commit()
    state.federation.wake_delivery()
