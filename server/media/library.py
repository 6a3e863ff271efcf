"""Pictures of actors, projects and funding calls: stored, published, removed.

Whoever may edit a thing may change its pictures (``server.domain.access``, checked by the
routes). Each change publishes what the fediverse shows: an ``Update`` of the actor for an
avatar or header, an ``Update{Note}`` for a logo or an image. What is published is kept on the
row itself (``icon``, ``image``, ``attachment``), so rendering costs no query.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.states import CallEventKind
from server.clock import utcnow
from server.domain.figures import lock_call, publish_change
from server.domain.history import Change
from server.domain.lifecycle import next_updated, publish_note
from server.domain.notes import project_note
from server.domain.render import actor_to_ap
from server.errors import Conflict, Invalid, NotFound
from server.i18n import N_
from server.media.files import MediaFiles, content_path
from server.media.images import MediaKind, process
from server.storage.db import Database
from server.storage.models import Actor, FundingCall, Media, Project
from server.urls import Urls, new_id

__all__ = [
    "MAX_ALT_TEXT",
    "MAX_IMAGES",
    "NO_SUCH_PICTURE",
    "Owned",
    "add_picture",
    "pictures_of",
    "published",
    "remove_actor_picture",
    "remove_picture",
    "retire_orphans",
    "set_actor_picture",
]

#: Images a project or a call carries (Mastodon shows four attachments at most).
MAX_IMAGES: Final = 4
#: The longest alt text (Mastodon keeps 1 500 characters of a description).
MAX_ALT_TEXT: Final = 1500

#: What removing a picture that is not there is told.
NO_SUCH_PICTURE: Final = N_("there is no such picture")

#: What owns pictures beside actors.
Owned = Project | FundingCall


def published(media: Media, urls: Urls) -> dict[str, Any]:
    """Return the ``Image`` the fediverse reads for ``media`` (alt text in ``name``)."""
    image: dict[str, Any] = {
        "type": "Image",
        "mediaType": media.media_type,
        "url": urls.media(media.path),
        "width": media.width,
        "height": media.height,
    }
    if media.description:
        image["name"] = media.description
    return image


def _alt_text(description: str, kind: MediaKind) -> str:
    text = description.strip()
    if kind is MediaKind.image and not text:
        raise Invalid(
            N_("an image needs its alt text, for those who cannot see it"), field="description"
        )
    if len(text) > MAX_ALT_TEXT:
        raise Invalid(N_("at most {count} characters"), field="description", count=MAX_ALT_TEXT)
    return text


async def _store(
    session: AsyncSession,
    files: MediaFiles,
    owner: Actor,
    kind: MediaKind,
    data: bytes,
    *,
    description: str,
    target: Owned | None = None,
) -> Media:
    """Check, re-encode and save ``data`` (on threads: the event loop keeps serving), and add
    its row."""
    text = _alt_text(description, kind)
    picture = await asyncio.to_thread(process, data, kind)
    digest, path = content_path(picture)
    await asyncio.to_thread(files.save, path, picture.data)
    media = Media(
        id=new_id(),
        actor_id=owner.id or 0,
        kind=kind,
        project_id=target.id if isinstance(target, Project) else None,
        funding_call_id=target.id if isinstance(target, FundingCall) else None,
        description=text,
        media_type=picture.media_type,
        size=len(picture.data),
        width=picture.width,
        height=picture.height,
        sha256=digest,
        path=path,
    )
    session.add(media)
    await session.flush()
    return media


def _of_actor(actor: Actor, kind: MediaKind) -> Any:
    return (
        (Media.actor_id == actor.id)
        & (Media.kind == kind)
        & (Media.project_id == None)
        & (Media.funding_call_id == None)
    )


def _of_target(target: Owned) -> Any:
    column = Media.project_id if isinstance(target, Project) else Media.funding_call_id
    return column == target.id


async def pictures_of(session: AsyncSession, owner: Actor | Owned) -> list[Media]:
    """Return the live pictures of an actor (its avatar and header) or of a project or call
    (its logo and images), oldest first."""
    if isinstance(owner, Actor):
        condition = _of_actor(owner, MediaKind.avatar) | _of_actor(owner, MediaKind.header)
    else:
        condition = _of_target(owner)
    query = (
        select(Media)
        .where(condition, Media.deleted_at == None)
        .order_by(col(Media.created_at), col(Media.id))
    )
    return list((await session.execute(query)).scalars().all())


async def _retire(session: AsyncSession, condition: Any) -> list[str]:
    """Mark the live pictures matching ``condition`` deleted; return their paths."""
    rows = (
        (await session.execute(select(Media).where(condition, Media.deleted_at == None)))
        .scalars()
        .all()
    )
    for media in rows:
        media.deleted_at = utcnow()
    await session.flush()
    return [media.path for media in rows]


async def _commit_and_clean(session: AsyncSession, files: MediaFiles, paths: list[str]) -> None:
    """Commit, then remove the files no live picture shares any more (a file is removed only
    once its row says so for good)."""
    await session.commit()
    for path in paths:
        shared = await session.scalar(
            select(func.count()).where(Media.path == path, Media.deleted_at == None)
        )
        if not shared:
            await asyncio.to_thread(files.remove, path)


async def set_actor_picture(
    session: AsyncSession,
    urls: Urls,
    files: MediaFiles,
    actor: Actor,
    kind: MediaKind,
    data: bytes,
    *,
    description: str = "",
) -> Media:
    """Make ``data`` the avatar or header of a local actor, replacing the former one, and send
    followers an ``Update`` of the actor; commits.

    Raises what ``server.media.images.process`` raises, and ``Invalid`` for a long alt text.
    """
    media = await _store(session, files, actor, kind, data, description=description)
    former = await _retire(session, _of_actor(actor, kind) & (Media.id != media.id))
    await _publish_actor(session, urls, actor, kind, published(media, urls))
    await _commit_and_clean(session, files, former)
    return media


async def remove_actor_picture(
    session: AsyncSession, urls: Urls, files: MediaFiles, actor: Actor, kind: MediaKind
) -> None:
    """Remove a local actor's avatar or header (its URL answers 410) and send followers an
    ``Update``; commits. Raises ``NotFound`` when it has none."""
    former = await _retire(session, _of_actor(actor, kind))
    if not former:
        raise NotFound(NO_SUCH_PICTURE)
    await _publish_actor(session, urls, actor, kind, None)
    await _commit_and_clean(session, files, former)


async def _publish_actor(
    session: AsyncSession, urls: Urls, actor: Actor, kind: MediaKind, image: dict[str, Any] | None
) -> None:
    if kind is MediaKind.avatar:
        actor.icon = image
    else:
        actor.image = image
    actor.updated_at = utcnow()
    session.add(actor)
    await publish_note(session, urls, actor, "Update", actor_to_ap(actor, urls))


async def add_picture(
    session: AsyncSession,
    urls: Urls,
    files: MediaFiles,
    owner: Actor,
    target: Owned,
    kind: MediaKind,
    data: bytes,
    *,
    description: str,
    today: date,
) -> Media:
    """Add an image (at most ``MAX_IMAGES``) to a project or call, or make ``data`` its logo,
    and send followers an ``Update{Note}``; commits.

    Raises what ``server.media.images.process`` raises, ``Invalid`` for a missing or long
    alt text, and ``Conflict`` for a fifth image.
    """
    if kind is MediaKind.image:
        count = await session.scalar(
            select(func.count()).where(
                _of_target(target), Media.kind == kind, Media.deleted_at == None
            )
        )
        if int(count or 0) >= MAX_IMAGES:
            raise Conflict(
                N_("at most {count} images: remove one first"), field="file", count=MAX_IMAGES
            )
    media = await _store(session, files, owner, kind, data, description=description, target=target)
    former: list[str] = []
    if kind is MediaKind.logo:
        logos = _of_target(target) & (Media.kind == kind) & (Media.id != media.id)
        former = await _retire(session, logos)
    await _republish(session, urls, owner, target, today=today)
    await _commit_and_clean(session, files, former)
    return media


async def remove_picture(
    session: AsyncSession,
    urls: Urls,
    files: MediaFiles,
    owner: Actor,
    target: Owned,
    media_id: str,
    *,
    today: date,
) -> None:
    """Remove an image or the logo of a project or call (its URL answers 410) and send
    followers an ``Update{Note}``; commits. Raises ``NotFound`` for a picture it lacks."""
    former = await _retire(session, _of_target(target) & (Media.id == media_id))
    if not former:
        raise NotFound(NO_SUCH_PICTURE)
    await _republish(session, urls, owner, target, today=today)
    await _commit_and_clean(session, files, former)


async def retire_orphans(db: Database, files: MediaFiles) -> int:
    """Retire the pictures of deleted actors, projects and calls (their URLs answer 410) and
    remove their files; return how many. A chore: deletions happen in many places (the API,
    the web app, the command line, a remote ``Delete``), none of which knows of files."""
    orphaned = or_(
        col(Media.actor_id).in_(select(Actor.id).where(Actor.deleted_at != None)),
        col(Media.project_id).in_(select(Project.id).where(Project.deleted_at != None)),
        col(Media.funding_call_id).in_(
            select(FundingCall.id).where(FundingCall.deleted_at != None)
        ),
    )
    async with db.session() as session:
        paths = await _retire(session, orphaned)
        await _commit_and_clean(session, files, paths)
    return len(paths)


async def _republish(
    session: AsyncSession, urls: Urls, owner: Actor, target: Owned, *, today: date
) -> None:
    """Store the target's published pictures from its live rows and publish its Note again."""
    if isinstance(target, FundingCall):
        target = await lock_call(session, target)
    rows = await pictures_of(session, target)
    logos = [published(m, urls) for m in rows if m.kind == MediaKind.logo]
    target.icon = logos[-1] if logos else None
    target.attachment = [published(m, urls) for m in rows if m.kind == MediaKind.image]
    session.add(target)
    if isinstance(target, FundingCall):
        change = Change(CallEventKind.edited, owner.uri)
        await publish_change(session, urls, owner, target, change, today=today)
        return
    target.updated_at = next_updated(target.updated_at)
    await publish_note(session, urls, owner, "Update", project_note(target, owner, urls))
    await session.flush()
