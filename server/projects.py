"""Projects: create, update, delete, each published to followers as Create/Update/Delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from license_expression import get_spdx_licensing
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.commons import ProjectCreate, ProjectPublic, ProjectUpdate
from server.db import utcnow
from server.errors import Gone, Invalid, NotFound
from server.models import Actor, ObjectTag, Project
from server.notes import project_note, tombstone
from server.publishing import new_activity, publish
from server.text import render_markdown
from server.urls import Urls, new_id

__all__ = [
    "create_project",
    "delete_project",
    "get_project",
    "normalize_license",
    "project_public",
    "update_project",
]

_licensing = get_spdx_licensing()


def normalize_license(expression: str) -> str:
    """Return the normalised SPDX expression; raises ``Invalid`` for an unknown licence."""
    info = _licensing.validate(expression, strict=True)
    if info.errors or not info.normalized_expression:
        raise Invalid(
            f"not a valid SPDX license expression: {'; '.join(info.errors) or expression}"
        )
    return str(info.normalized_expression)


def _apply(project: Project, fields: dict[str, Any]) -> None:
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


async def _set_tags(session: AsyncSession, project: Project) -> None:
    await session.execute(delete(ObjectTag).where(ObjectTag.object_uri == project.uri))
    for tag in project.tags:
        session.add(ObjectTag(object_uri=project.uri, tag=tag))


async def create_project(
    session: AsyncSession, urls: Urls, actor: Actor, data: ProjectCreate
) -> Project:
    """Store a project and publish its ``Create{Note}`` to the actor's followers."""
    object_id = new_id()
    project = Project(
        id=object_id,
        uri=urls.project(object_id),
        url=urls.project(object_id),
        actor_id=actor.id or 0,
        name=data.name,
        description="",
        description_html="",
    )
    _apply(project, data.model_dump(exclude={"name"}))
    session.add(project)
    await _set_tags(session, project)
    note = project_note(project, actor, urls)
    await publish(session, actor, _wrap(urls, "Create", actor, note), to_followers=True)
    await session.commit()
    return project


def _wrap(urls: Urls, kind: str, actor: Actor, note: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in note.items() if k != "@context"}
    activity = new_activity(urls, kind, actor, body, to=note.get("to"), cc=note.get("cc"))
    activity["@context"] = note["@context"]
    return activity


async def update_project(
    session: AsyncSession, urls: Urls, actor: Actor, project: Project, data: ProjectUpdate
) -> Project:
    """Apply changes and publish ``Update{Note}`` with a strictly later ``updated``."""
    _apply(project, data.model_dump(exclude_unset=True))
    project.updated_at = max(utcnow(), project.updated_at + timedelta(seconds=1))
    await _set_tags(session, project)
    note = project_note(project, actor, urls)
    await publish(session, actor, _wrap(urls, "Update", actor, note), to_followers=True)
    await session.commit()
    return project


async def delete_project(session: AsyncSession, urls: Urls, actor: Actor, project: Project) -> None:
    """Leave a Tombstone (the id is never reused) and publish ``Delete`` to the same audience."""
    project.deleted_at = utcnow()
    await session.execute(delete(ObjectTag).where(ObjectTag.object_uri == project.uri))
    stone = tombstone(project.uri, project.deleted_at)
    activity = new_activity(
        urls,
        "Delete",
        actor,
        {k: v for k, v in stone.items() if k != "@context"},
        to=["https://www.w3.org/ns/activitystreams#Public"],
        cc=[actor.followers_uri],
    )
    await publish(session, actor, activity, to_followers=True)
    await session.commit()


async def get_project(
    session: AsyncSession, object_id: str, *, allow_deleted: bool = False
) -> Project:
    """Return a local or remote project by id; raises ``NotFound`` or ``Gone``."""
    project = await session.get(Project, object_id)
    if project is None:
        raise NotFound(f"no project {object_id!r}")
    if project.deleted_at is not None and not allow_deleted:
        raise Gone(f"project {object_id!r} was deleted")
    return project


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
        published_at=project.published_at,
        updated_at=project.updated_at,
    )
