"""Declarations: an actor uses a project, or provides services for it, in some regions.

A declaration is about a project of this or another instance (a remote one is looked up and
stored first). It is published like a project (``Create``, ``Update``, ``Delete`` of a Note),
to the actor's followers and to the project owner's inbox, so the owner's instance counts it.
The project's owner sees every declaration about it and may hide spam ones; hidden ones are
left out of every count, list and export. Services never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.declarations import DeclarationCreate, DeclarationPublic, DeclarationUpdate
from schemas.regions import region_name
from schemas.states import DeclarationKind
from server.clock import utcnow
from server.domain.access import Role, may_act
from server.domain.declaration_notes import declaration_note
from server.domain.lifecycle import get_object, next_updated, publish_delete, publish_note
from server.domain.lookup import Finder, lookup
from server.domain.providers import areas_of, services_mask, services_of, set_areas
from server.domain.tokens import Principal
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.i18n import N_
from server.storage.models import Actor, Declaration, Project
from server.storage.paging import keyset_page
from server.urls import Urls, new_id

__all__ = [
    "create_declaration",
    "declaration_public",
    "delete_declaration",
    "get_declaration",
    "list_declarations",
    "note_of_declaration",
    "resolve_project",
    "set_hidden",
    "update_declaration",
]


async def resolve_project(
    session: AsyncSession, reference: str, *, finder: Finder | None = None, today: date
) -> Project:
    """Return the live project named by an id or a URI, looking a remote one up with ``finder``.

    Raises ``Invalid`` when none is known (or reachable), ``Gone`` when it was deleted.
    """
    reference = reference.strip()
    if reference.startswith(("http://", "https://")):
        query = select(Project).where(Project.uri == reference)
        found = (await session.execute(query)).scalar_one_or_none()
        if found is None and finder is not None and not finder.urls.is_local(reference):
            try:
                entry = await lookup(session, finder, reference, today=today)
            except NotFound as exc:
                raise Invalid(exc.message.msgid, field="project", **exc.message.params) from None
            if entry.type == "project":
                found = (await session.execute(query)).scalar_one_or_none()
    else:
        found = await session.get(Project, reference)
    if found is None:
        raise Invalid(
            N_("no project {reference!r} is known here"), field="project", reference=reference
        )
    return await get_object(session, Project, found.id, "project", allow_deleted=False)


async def _owner_of(session: AsyncSession, project: Project) -> Actor:
    owner = await session.get(Actor, project.actor_id)
    assert owner is not None
    return owner


async def note_of_declaration(
    session: AsyncSession, declaration: Declaration, *, actor: Actor | None = None
) -> tuple[dict[str, Any], Actor]:
    """Return a local declaration's Note and the project's owner."""
    actor = actor or await session.get(Actor, declaration.actor_id)
    project = await session.get(Project, declaration.project_id)
    assert actor is not None and project is not None
    owner = await _owner_of(session, project)
    note = declaration_note(
        declaration,
        actor,
        project,
        services=services_of(declaration.services),
        areas=await areas_of(session, declaration.id),
        project_owner=owner.uri,
    )
    return note, owner


def _owner_inboxes(owner: Actor) -> list[str]:
    """The project owner's inbox, when it lives on another instance."""
    inbox = owner.shared_inbox_uri or owner.inbox_uri
    return [inbox] if not owner.is_local and inbox else []


async def create_declaration(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    data: DeclarationCreate,
    *,
    finder: Finder,
    today: date,
) -> Declaration:
    """Store a declaration and publish its ``Create{Note}``; the caller commits.

    Raises ``Invalid`` for an unknown project and ``Conflict`` when the actor already made
    this declaration about it.
    """
    project = await resolve_project(session, data.project, finder=finder, today=today)
    object_id = new_id()
    now = utcnow()
    declaration = Declaration(
        id=object_id,
        uri=urls.declaration(object_id),
        url=urls.declaration(object_id),
        actor_id=actor.id or 0,
        is_local=True,
        kind=data.kind,
        project_id=project.id,
        services=services_mask(data.services),
        text=data.text,
        published_at=now,
        updated_at=now,
    )
    refusal = f"{actor.username} already declared that it {data.kind} {project.name!r}"
    session.add(declaration)
    try:
        await session.flush()
    except IntegrityError:  # one live declaration of each kind per actor and project
        raise Conflict(refusal) from None
    await set_areas(session, object_id, list(data.regions))
    note, owner = await note_of_declaration(session, declaration, actor=actor)
    await publish_note(session, urls, actor, "Create", note, inboxes=_owner_inboxes(owner))
    await session.flush()
    return declaration


async def update_declaration(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    declaration: Declaration,
    data: DeclarationUpdate,
) -> Declaration:
    """Apply changes and publish ``Update{Note}`` with a strictly later ``updated``.

    Raises ``Invalid`` for services or regions on a usage declaration.
    """
    fields = data.model_dump(exclude_unset=True)
    serving = fields.get("services") or fields.get("regions")
    if declaration.kind == DeclarationKind.uses and serving:
        raise Invalid(N_("services and regions belong to service declarations (kind serves)"))
    if "services" in fields:
        if not data.services:
            raise Invalid(N_("a service declaration names at least one service"), field="services")
        declaration.services = services_mask(data.services)
    if data.regions is not None:
        await set_areas(session, declaration.id, list(data.regions))
    if data.text is not None:
        declaration.text = data.text
    declaration.updated_at = next_updated(declaration.updated_at)
    note, owner = await note_of_declaration(session, declaration, actor=actor)
    await publish_note(session, urls, actor, "Update", note, inboxes=_owner_inboxes(owner))
    await session.flush()
    return declaration


async def delete_declaration(
    session: AsyncSession, urls: Urls, actor: Actor, declaration: Declaration
) -> None:
    """Leave a Tombstone and publish ``Delete`` to the followers and the project's owner."""
    project = await session.get(Project, declaration.project_id)
    assert project is not None
    owner = await _owner_of(session, project)
    declaration.deleted_at = utcnow()
    await publish_delete(
        session, urls, actor, declaration.uri, declaration.deleted_at, inboxes=_owner_inboxes(owner)
    )
    await session.flush()


async def get_declaration(
    session: AsyncSession, object_id: str, *, allow_deleted: bool = False
) -> Declaration:
    """Return a declaration by id; raises ``NotFound`` or ``Gone``."""
    return await get_object(
        session, Declaration, object_id, "declaration", allow_deleted=allow_deleted
    )


async def set_hidden(
    session: AsyncSession, caller: Principal, declaration: Declaration, *, hidden: bool
) -> Declaration:
    """Hide (spam) or show again a declaration about one of the caller's projects.

    Raises ``Forbidden`` unless the caller acts for the project's owner (or is an admin) and
    ``NotFound`` for a project of another instance, whose owner decides there.
    """
    project = await session.get(Project, declaration.project_id)
    assert project is not None
    if not project.is_local:
        raise NotFound(N_("no local project {id!r}: its own instance moderates it"), id=project.id)
    if not may_act(caller, project.actor_id, Role.editor):
        raise Forbidden(N_("only the project's owner hides or shows declarations about it"))
    declaration.hidden_at = utcnow() if hidden else None
    await session.flush()
    return declaration


async def list_declarations(
    session: AsyncSession,
    *,
    project_id: str | None = None,
    actor_id: int | None = None,
    kind: str | None = None,
    include_hidden: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Declaration], str | None]:
    """Return one page of live declarations, newest first, and the next cursor."""
    query = select(Declaration).where(Declaration.deleted_at == None)
    if not include_hidden:
        query = query.where(Declaration.hidden_at == None)
    if project_id is not None:
        query = query.where(Declaration.project_id == project_id)
    if actor_id is not None:
        query = query.where(Declaration.actor_id == actor_id)
    if kind is not None:
        query = query.where(Declaration.kind == kind)
    return await keyset_page(session, query, key=col(Declaration.id), cursor=cursor, limit=limit)


async def declaration_public(session: AsyncSession, declaration: Declaration) -> DeclarationPublic:
    """Return the JSON API view of a declaration."""
    actor = await session.get(Actor, declaration.actor_id)
    project = await session.get(Project, declaration.project_id)
    assert actor is not None and project is not None
    areas = await areas_of(session, declaration.id)
    return DeclarationPublic(
        id=declaration.id,
        uri=declaration.uri,
        url=declaration.url or declaration.uri,
        kind=declaration.kind,
        actor=actor.uri,
        actor_name=actor.name or actor.username,
        actor_kind=actor.kind,
        project_id=project.id,
        project_uri=project.uri,
        project_name=project.name,
        services=services_of(declaration.services),
        regions=areas,
        region_names=[region_name(code) for code in areas],
        text=declaration.text,
        is_local=declaration.is_local,
        is_hidden=declaration.hidden_at is not None,
        published_at=declaration.published_at,
        updated_at=declaration.updated_at,
    )
