"""Declarations of other instances' actors, rebuilt from the Notes they push.

A ``Usage`` or ``ServiceOffer`` Note is kept when it is about a project we know (one of ours,
or one stored from another instance), and either that project is ours (its owner sees every
declaration about it) or one of our actors follows the author. The checks of
``remote_objects`` apply (author = signer, object on the signer's host, ``updated`` moving
forward); unknown services or regions refuse the whole payload.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import http_uri_host
from schemas.base import as_list, get_id
from schemas.regions import is_region_code
from schemas.states import ActorKind, DeclarationKind, ServiceKind
from server.clock import utcnow
from server.domain.declaration_notes import OBJECT_TYPES
from server.domain.providers import services_mask, set_areas
from server.domain.remote_objects import RemoteObjectError, followed_author, moment_of
from server.storage.models import Actor, Declaration, Project
from server.urls import new_id

__all__ = ["is_declaration_note", "store_remote_declaration"]

_KINDS = {object_type: kind for kind, object_type in OBJECT_TYPES.items()}


def _object_type(note: Any) -> str | None:
    """Return the declaration type of a Note (of any of its types and object types), or None;
    a type may be any JSON, so it is compared, never hashed, until it is a string."""
    if not isinstance(note, dict) or "Note" not in as_list(note.get("type")):
        return None
    names = as_list(note.get("objectType"))
    return next((n for n in names if isinstance(n, str) and n in _KINDS), None)


def is_declaration_note(note: Any) -> bool:
    """Whether a pushed object is a Communs declaration (``Usage`` or ``ServiceOffer``)."""
    return _object_type(note) is not None


def _services(note: dict[str, Any], kind: DeclarationKind) -> int:
    names = as_list(note.get("serviceKind"))
    if kind == DeclarationKind.uses:
        return 0
    if not names or not all(isinstance(n, str) and n in set(ServiceKind) for n in names):
        raise RemoteObjectError("serviceKind must list known services")
    return services_mask(list(dict.fromkeys(names)))


def _areas(note: dict[str, Any], kind: DeclarationKind) -> list[str]:
    codes = as_list(note.get("areaServed")) if kind == DeclarationKind.serves else []
    if len(codes) > 40 or not all(isinstance(c, str) and is_region_code(c) for c in codes):
        raise RemoteObjectError("areaServed must list French regions or ISO 3166 countries")
    return list(dict.fromkeys(codes))


def _statement(note: dict[str, Any]) -> str:
    text = note.get("description")
    if text is None:
        return ""
    if not isinstance(text, str) or len(text) > 500:
        raise RemoteObjectError("description must be a string of at most 500 characters")
    return text.strip()


async def _project(session: AsyncSession, note: dict[str, Any]) -> Project | None:
    uri = get_id(note.get("project"))
    if uri is None:
        raise RemoteObjectError("project must name the project declared about")
    return (
        await session.execute(select(Project).where(Project.uri == uri, Project.deleted_at == None))
    ).scalar_one_or_none()


async def store_remote_declaration(session: AsyncSession, signer: str, note: dict[str, Any]) -> str:
    """Create or update the remote declaration a ``Create``/``Update`` carries.

    Raises ``RemoteObjectError`` when the payload cannot be trusted or understood.
    """
    uri = note.get("id")
    if http_uri_host(uri) is None or http_uri_host(uri) != http_uri_host(signer):
        raise RemoteObjectError("the object must live on its author's host")
    if get_id(note.get("attributedTo")) != signer:
        raise RemoteObjectError("attributedTo must be the actor that sent it")
    kind = _KINDS[str(_object_type(note))]
    project = await _project(session, note)
    author = (
        await session.execute(select(Actor).where(Actor.uri == signer, Actor.is_local == False))
    ).scalar_one_or_none()
    if project is None or author is None:
        return "ignored"
    if not project.is_local and await followed_author(session, signer) is None:
        return "ignored"
    updated = moment_of(note.get("updated")) or moment_of(note.get("published")) or utcnow()
    fields: dict[str, Any] = {
        "services": _services(note, kind),
        "text": _statement(note),
        "updated_at": updated,
    }
    areas = _areas(note, kind)
    url = note.get("url")
    same_host = isinstance(url, str) and http_uri_host(url) == http_uri_host(uri)
    fields["url"] = url if same_host else uri
    claimed_kind = note.get("actorKind")
    if isinstance(claimed_kind, str) and claimed_kind in set(ActorKind):
        author.kind = claimed_kind  # what the author says of itself, as its profile would
    existing = (
        await session.execute(select(Declaration).where(Declaration.uri == uri))
    ).scalar_one_or_none()
    if existing is not None:
        if existing.is_local or existing.actor_id != author.id or existing.kind != kind:
            raise RemoteObjectError("the object belongs to someone else")
        if existing.deleted_at is not None or fields["updated_at"] <= existing.updated_at:
            return "ignored"
        for name, value in fields.items():
            setattr(existing, name, value)
        declaration_id = existing.id
    else:
        twin = await session.scalar(
            select(Declaration.id).where(
                Declaration.actor_id == author.id,
                Declaration.project_id == project.id,
                Declaration.kind == kind,
                Declaration.deleted_at == None,
            )
        )
        if twin is not None:
            raise RemoteObjectError("the author already made this declaration")
        declaration_id = new_id()
        session.add(
            Declaration(
                id=declaration_id,
                uri=uri,
                actor_id=author.id,
                is_local=False,
                kind=kind,
                project_id=project.id,
                published_at=moment_of(note.get("published")) or fields["updated_at"],
                **fields,
            )
        )
        await session.flush()
    await set_areas(session, declaration_id, areas)
    await session.commit()
    return "stored"
