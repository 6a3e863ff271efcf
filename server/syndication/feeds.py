"""Atom feeds for feed readers: an actor's publications, a project's funding calls, and any
directory search (its filters in the query string, as on the home page)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.states import DeclarationKind
from server.domain.actors import get_local_actor
from server.domain.declarations import list_declarations
from server.domain.directory import list_directory
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.labels import FUNDING_STATUS_LABELS, label
from server.domain.notes import figures, note_language
from server.domain.projects import get_project, projects_of
from server.http.deps import SessionDep, StateDep
from server.http.etags import with_etag
from server.http.filters import DirectoryQuery
from server.i18n import translations
from server.storage.models import Actor, FundingCall, Project
from server.syndication.atom import ATOM_MEDIA_TYPE, FeedEntry, atom_feed

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Entries per feed: feed readers poll, and only the newest matter to them.
FEED_SIZE = 50
_TAGS = re.compile(r"<[^>]+>")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _call_entry(call: FundingCall, author: str, today_status: str, language: str) -> FeedEntry:
    """A call's entry, its progress written in its actor's language (as its Note is)."""
    status = label(FUNDING_STATUS_LABELS, today_status, language)
    return FeedEntry(
        uri=call.uri,
        url=call.url or call.uri,
        title=call.title,
        summary=f"{figures(call, language=language).line} · {status}. {call.summary}".strip(),
        author=author,
        published=call.published_at,
        updated=call.updated_at,
    )


def _project_entry(project: Project, author: str) -> FeedEntry:
    return FeedEntry(
        uri=project.uri,
        url=project.url or project.uri,
        title=project.name,
        summary=project.summary,
        author=author,
        published=project.published_at,
        updated=project.updated_at,
    )


def _feed(
    request: Request,
    entries: list[FeedEntry],
    *,
    feed_id: str,
    title: str,
    page_url: str,
    author: str,
    since: datetime = _EPOCH,
) -> Response:
    """Serve the newest entries; an empty feed was last updated ``since``."""
    entries = sorted(entries, key=lambda e: e.published, reverse=True)[:FEED_SIZE]
    body = atom_feed(
        feed_id=feed_id,
        title=title,
        self_url=str(request.url),
        page_url=page_url,
        author=author,
        updated=since,
        entries=entries,
    )
    headers = {"Cache-Control": "public, max-age=300"}
    return with_etag(request, Response(body, media_type=ATOM_MEDIA_TYPE, headers=headers))


async def _declaration_entries(session: AsyncSession, actor: Actor, author: str) -> list[FeedEntry]:
    rows, _ = await list_declarations(session, actor_id=actor.id, limit=FEED_SIZE)
    entries = []
    for declaration in rows:
        project = await session.get(Project, declaration.project_id)
        if project is None or project.deleted_at is not None:
            continue
        verb = "Uses" if declaration.kind == DeclarationKind.uses else "Provides services for"
        entries.append(
            FeedEntry(
                uri=declaration.uri,
                url=project.url or project.uri,
                title=f"{verb} {project.name}",
                summary=declaration.text,
                author=author,
                published=declaration.published_at,
                updated=declaration.updated_at,
            )
        )
    return entries


@router.get("/feeds/actors/{username}.atom")
async def actor_feed(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A local actor's projects, funding calls and declarations, newest first."""
    actor = await get_local_actor(session, username)
    assert actor.id is not None
    author = actor.name or actor.username
    today = state.clock.today()
    entries = [_project_entry(p, author) for p in await projects_of(session, actor.id)]
    calls = await funding_calls_of(session, actor_id=actor.id, limit=FEED_SIZE)
    language = note_language(actor)
    entries += [_call_entry(c, author, effective_status(c, today), language) for c in calls]
    entries += await _declaration_entries(session, actor, author)
    return _feed(
        request,
        entries,
        feed_id=actor.uri,
        title=f"{author} — {state.settings.instance_name}",
        page_url=actor.url or actor.uri,
        author=author,
        since=actor.created_at,
    )


@router.get("/feeds/projects/{object_id}/calls.atom")
async def project_calls_feed(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A project's funding calls (with their progress), newest first."""
    project = await get_project(session, object_id)
    owner = await session.get(Actor, project.actor_id)
    author = (owner.name or owner.username) if owner else ""
    today = state.clock.today()
    language = note_language(owner) if owner else state.settings.default_language
    calls = await funding_calls_of(session, project_id=project.id, limit=FEED_SIZE)
    title = translations(language).gettext("Funding calls of {project}")
    return _feed(
        request,
        [_call_entry(c, author, effective_status(c, today), language) for c in calls],
        feed_id=f"{project.uri}#calls",
        title=title.format(project=project.name),
        page_url=project.url or project.uri,
        author=author,
        since=project.published_at,
    )


@router.get("/feeds/directory.atom")
async def directory_feed(
    request: Request, state: StateDep, session: SessionDep, filters: DirectoryQuery
) -> Response:
    """The newest entries of a directory search (the home page's filters)."""
    page = await list_directory(
        session, filters, cursor=None, limit=FEED_SIZE, today=state.clock.today()
    )
    search = filters.query_string()
    home = state.urls.url("/") + (f"?{urlencode(search)}" if search else "")
    entries = [
        FeedEntry(
            uri=entry.uri,
            url=entry.url,
            title=entry.name,
            summary=_TAGS.sub("", entry.summary),
            author=entry.handle or entry.origin,
            published=entry.listed_at,
            updated=entry.listed_at,
        )
        for entry in page.items
    ]
    return _feed(
        request,
        entries,
        feed_id=home,
        title=f"{state.settings.instance_name} — directory",
        page_url=home,
        author=state.settings.instance_name,
    )
