"""JSON API: projects (digital commons) of the token's actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import or_, select
from sqlmodel import col

from schemas.commons import ProjectCreate, ProjectPublic, ProjectsPublic, ProjectUpdate
from server.deps import SessionDep, StateDep, require_scope
from server.errors import Forbidden, NotFound
from server.models import Actor, ObjectTag, Project
from server.projects import (
    create_project,
    delete_project,
    get_project,
    normalize_license,
    project_public,
    update_project,
)
from server.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["projects"])

Writer = Annotated[Principal, Depends(require_scope("write"))]


async def _owned(session: SessionDep, caller: Principal, object_id: str) -> tuple[Actor, Project]:
    project = await get_project(session, object_id)
    actor = await session.get(Actor, project.actor_id)
    if actor is None or not actor.is_local:
        raise NotFound(f"no local project {object_id!r}")
    if not caller.is_admin and caller.actor_id != actor.id:
        raise Forbidden("this token may only change its own actor's projects")
    return actor, project


@router.post("/projects", status_code=201)
async def post_project(
    body: ProjectCreate, caller: Writer, state: StateDep, session: SessionDep
) -> ProjectPublic:
    """Publish a project; followers receive a ``Create{Note}``."""
    if caller.actor_id is None:
        raise Forbidden("this endpoint needs a token that belongs to an actor")
    actor = await session.get(Actor, caller.actor_id)
    assert actor is not None
    project = await create_project(session, state.urls, actor, body)
    state.federation.wake_delivery()
    return await project_public(session, project)


@router.get("/projects")
async def list_projects(
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    license: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProjectsPublic:
    """List projects, newest first, with filters and cursor pagination."""
    query = select(Project).where(Project.deleted_at == None)
    if actor:
        username = actor.split("@")[0]
        query = query.join(Actor, Actor.id == Project.actor_id).where(Actor.username == username)
    if tag:
        query = query.where(
            col(Project.uri).in_(select(ObjectTag.object_uri).where(ObjectTag.tag == tag.lower()))
        )
    if license:
        query = query.where(Project.license == normalize_license(license))
    if status:
        query = query.where(Project.status == status)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                col(Project.name).ilike(pattern),
                col(Project.summary).ilike(pattern),
                col(Project.description).ilike(pattern),
            )
        )
    if cursor:
        query = query.where(col(Project.id) < cursor)
    rows = (
        (await session.execute(query.order_by(col(Project.id).desc()).limit(limit + 1)))
        .scalars()
        .all()
    )
    items = [await project_public(session, p) for p in rows[:limit]]
    return ProjectsPublic(
        items=items, next_cursor=rows[limit - 1].id if len(rows) > limit else None
    )


@router.get("/projects/{object_id}")
async def read_project(object_id: str, session: SessionDep) -> ProjectPublic:
    """Read one project (410 once deleted)."""
    return await project_public(session, await get_project(session, object_id))


@router.patch("/projects/{object_id}")
async def patch_project(
    object_id: str, body: ProjectUpdate, caller: Writer, state: StateDep, session: SessionDep
) -> ProjectPublic:
    """Change a project; followers receive an ``Update{Note}``."""
    actor, project = await _owned(session, caller, object_id)
    project = await update_project(session, state.urls, actor, project, body)
    state.federation.wake_delivery()
    return await project_public(session, project)


@router.delete("/projects/{object_id}", status_code=204)
async def remove_project(
    object_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Delete a project; followers receive a ``Delete{Tombstone}``."""
    actor, project = await _owned(session, caller, object_id)
    await delete_project(session, state.urls, actor, project)
    state.federation.wake_delivery()
