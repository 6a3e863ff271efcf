"""Projects: create, update, delete, list; each change published to followers as a Note.

Services write and publish in the caller's transaction and never commit, so a route can record
its idempotent response in the same transaction (``server.http.idempotency``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.commons import ImagePublic, ProjectCreate, ProjectPublic, ProjectUpdate
from server.clock import utcnow
from server.domain.licenses import normalize_license
from server.domain.lifecycle import get_object, next_updated, publish_delete, publish_note, set_tags
from server.domain.listing import by_actor, by_tag, by_text
from server.domain.notes import project_note
from server.domain.text import render_markdown
from server.errors import refuse_nulls
from server.storage.models import Actor, Project
from server.storage.paging import keyset_page
from server.urls import Urls, new_id

__all__ = [
    "create_project",
    "delete_project",
    "get_project",
    "list_projects",
    "project_public",
    "projects_of",
    "update_project",
]

_REQUIRED = frozenset({"name", "summary", "description", "tags", "status", "is_pinned"})


def _apply(project: Project, fields: dict[str, Any]) -> None:
    refuse_nulls(fields, _REQUIRED)
    for name, value in fields.items():
        if name == "license":
            project.license = normalize_license(value) if value else None
        elif name == "description":
            project.description = value
            project.description_html = render_markdown(value)
        elif name in ("repository_url", "website_url"):
            setattr(project, name, str(value) if value is not None else None)
        else:
            setattr(project, name, value)


async def create_project(
    session: AsyncSession, urls: Urls, actor: Actor, data: ProjectCreate
) -> Project:
    """Store a project and publish its ``Create{Note}``; the caller commits.

    Raises ``Invalid`` for an unknown licence.
    """
    object_id = new_id()
    now = utcnow()
    project = Project(
        id=object_id,
        uri=urls.project(object_id),
        url=urls.project(object_id),
        actor_id=actor.id or 0,
        name=data.name,
        description="",
        description_html="",
        published_at=now,
        updated_at=now,
    )
    _apply(project, data.model_dump(exclude={"name"}))
    session.add(project)
    await set_tags(session, project.uri, project.tags, kind="project")
    await publish_note(session, urls, actor, "Create", project_note(project, actor, urls))
    await session.flush()
    return project


async def update_project(
    session: AsyncSession, urls: Urls, actor: Actor, project: Project, data: ProjectUpdate
) -> Project:
    """Apply changes and publish ``Update{Note}`` with a strictly later ``updated``.

    Raises ``Invalid`` for an unknown licence.
    """
    _apply(project, data.model_dump(exclude_unset=True))
    project.updated_at = next_updated(project.updated_at)
    await set_tags(session, project.uri, project.tags, kind="project")
    await publish_note(session, urls, actor, "Update", project_note(project, actor, urls))
    await session.flush()
    return project


async def delete_project(session: AsyncSession, urls: Urls, actor: Actor, project: Project) -> None:
    """Leave a Tombstone (the id is never reused) and publish ``Delete`` to the same audience."""
    project.deleted_at = utcnow()
    project.is_pinned = False
    await publish_delete(session, urls, actor, project.uri, project.deleted_at)
    await session.flush()


async def get_project(
    session: AsyncSession, object_id: str, *, allow_deleted: bool = False
) -> Project:
    """Return a local or remote project by id; raises ``NotFound`` or ``Gone``."""
    return await get_object(session, Project, object_id, "project", allow_deleted=allow_deleted)


async def list_projects(
    session: AsyncSession,
    *,
    local_domain: str,
    actor: str | None = None,
    tag: str | None = None,
    license: str | None = None,
    status: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Project], str | None]:
    """Return one page of live projects, newest first, and the next cursor.

    Raises ``Invalid`` for a licence filter that is not an SPDX expression.
    """
    query = select(Project).where(Project.deleted_at == None)
    if actor:
        query = query.where(by_actor(Project.actor_id, actor, local_domain))
    if tag:
        query = query.where(by_tag(Project.uri, tag))
    if license:
        query = query.where(Project.license == normalize_license(license, strict=False))
    if status:
        query = query.where(Project.status == status)
    if q:
        query = query.where(by_text(Project.id, q))
    return await keyset_page(session, query, key=col(Project.id), cursor=cursor, limit=limit)


async def projects_of(session: AsyncSession, actor_id: int, *, limit: int = 50) -> list[Project]:
    """Return an actor's live projects, pinned first then newest, for its profile page."""
    query = (
        select(Project)
        .where(Project.actor_id == actor_id, Project.deleted_at == None)
        .order_by(col(Project.is_pinned).desc(), col(Project.id).desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars().all())


async def project_public(session: AsyncSession, project: Project) -> ProjectPublic:
    """Return the JSON API view of a project."""
    actor_uri = await session.scalar(select(Actor.uri).where(Actor.id == project.actor_id))
    return ProjectPublic(
        id=project.id,
        uri=project.uri,
        url=project.url or project.uri,
        actor=actor_uri or "",
        name=project.name,
        summary=project.summary,
        description=project.description,
        description_html=project.description_html,
        license=project.license,
        repository_url=project.repository_url,
        website_url=project.website_url,
        tags=project.tags,
        status=project.status,
        is_pinned=project.is_pinned,
        is_local=project.is_local,
        logo=ImagePublic.of(project.icon) if project.icon else None,
        images=[ImagePublic.of(image) for image in project.attachment],
        published_at=project.published_at,
        updated_at=project.updated_at,
    )
