"""The directory: local and remote actors, projects and funding calls, listed together.

Each kind is read among its newest rows first, then by its filters' indexes (``storage.paging.
newest_rows``); the pages are merged newest first, and the cursor remembers where each kind
stopped.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from federation.storable import storable
from schemas.commons import Amount
from schemas.states import ActorKind, DeclarationKind, FundingStatus, Sector, ServiceKind
from server.domain.figures import effective_status
from server.domain.licenses import normalize_license
from server.domain.listing import by_tag, by_text
from server.domain.moderation import unlisted_actors
from server.domain.money import money_view
from server.domain.providers import declarers
from server.errors import Invalid
from server.i18n import N_
from server.storage.db import parse_id, plan_each_statement
from server.storage.models import Actor, FundingCall, Project
from server.storage.paging import newest_rows
from server.urls import id_time

__all__ = [
    "DirectoryEntry",
    "DirectoryFilters",
    "DirectoryPage",
    "entry_of",
    "list_directory",
]

Kind = Literal["actor", "project", "funding_call"]
KINDS: tuple[Kind, ...] = ("actor", "project", "funding_call")


class DirectoryFilters(BaseModel):
    type: Kind | None = None
    q: str | None = None
    tag: str | None = None
    license: str | None = None
    status: str | None = None
    currency: str | None = None
    #: Funding calls only: those this sector has pledged to (co-funded by public bodies, say).
    sector: Sector | None = None
    #: Actors only: their kind and region (a code of ``schemas.regions``).
    kind: ActorKind | None = None
    region: str | None = None
    #: Actors only: those that use, or provide services for, a project (its id or URI).
    uses: str | None = None
    serves: str | None = None
    #: Actors only: providers (of ``serves``, or of any project) in a region, for a service.
    area: str | None = None
    service: ServiceKind | None = None

    def about_actors(self) -> bool:
        """Whether a filter that only actors have is set (projects and calls then drop out)."""
        return any((self.kind, self.region, self.uses, self.serves, self.area, self.service))

    def query_string(self) -> dict[str, str]:
        """Return the filters that are set, as a query string's parameters."""
        return {k: str(v) for k, v in self.model_dump().items() if v}


class DirectoryEntry(BaseModel):
    type: Kind
    uri: str
    url: str
    name: str
    summary: str
    origin: str
    is_local: bool
    actor: str | None = None
    handle: str | None = None
    kind: str | None = None
    region: str | None = None
    tags: list[str] = []
    license: str | None = None
    status: str | None = None
    goal: Amount | None = None
    raised: Amount | None = None
    deadline: date | None = None
    listed_at: datetime


class DirectoryPage(BaseModel):
    items: list[DirectoryEntry]
    next_cursor: str | None


def _encode(positions: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(positions).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise Invalid(N_("invalid cursor")) from None
    if (
        not isinstance(positions, dict)
        or not all(isinstance(v, str) for v in positions.values())
        or not storable(positions)
    ):
        raise Invalid(N_("invalid cursor"))
    return positions


#: Above this many actors left out, they are named by a subquery rather than one by one.
_NAMED_UNLISTED = 500


def _unlisted(unlisted: list[int], owner: Any) -> ColumnElement[bool]:
    """Return the condition "``owner`` is not left out of the directory"."""
    if len(unlisted) > _NAMED_UNLISTED:
        return col(owner).not_in(unlisted_actors())
    return col(owner).not_in(unlisted) if unlisted else ~false()


def _actor_query(
    filters: DirectoryFilters, projects: dict[str, str | None], unlisted: list[int]
) -> Callable[[Any], Select[Any]] | None:
    if filters.tag or filters.license or filters.status or filters.currency or filters.sector:
        return None

    def build(since: Any) -> Select[Any]:
        query = select(Actor).where(Actor.type != "Application", _unlisted(unlisted, Actor.id))
        if filters.q:
            query = query.where(by_text(Actor.id, filters.q, since=since))
        if filters.kind:
            query = query.where(Actor.kind == filters.kind)
        if filters.region:
            query = query.where(Actor.region == filters.region)
        if filters.uses:
            users = declarers(DeclarationKind.uses, project_id=projects["uses"])
            query = query.where(col(Actor.id).in_(users))
        if filters.serves or filters.area or filters.service:
            providers = declarers(
                DeclarationKind.serves,
                project_id=projects["serves"],
                area=filters.area,
                service=filters.service,
            )
            query = query.where(col(Actor.id).in_(providers))
        return query

    return build


async def _project_ids(session: AsyncSession, filters: DirectoryFilters) -> dict[str, str | None]:
    """Return the ids of the projects ``uses`` and ``serves`` name (by id or URI).

    Raises ``Invalid`` for a project that is not known here.
    """
    found: dict[str, str | None] = {"uses": None, "serves": None}
    for name in found:
        reference = getattr(filters, name)
        if not reference:
            continue
        column = Project.uri if reference.startswith(("http://", "https://")) else Project.id
        found[name] = await session.scalar(
            select(Project.id).where(column == reference, Project.deleted_at == None)
        )
        if found[name] is None:
            raise Invalid(
                N_("no project {reference!r} is known here"), field=name, reference=reference
            )
    return found


def _object_query(
    table: Any, filters: DirectoryFilters, unlisted: list[int]
) -> Callable[[Any], Select[Any]] | None:
    if filters.about_actors():
        return None
    if table is Project and (filters.currency or filters.sector):
        return None
    if table is FundingCall and filters.license:
        return None

    def build(since: Any) -> Select[Any]:
        # The few actors left out, rather than the many listed: a page of the newest rows
        # does not read every listed actor's rows.
        query = select(table).where(table.deleted_at == None, _unlisted(unlisted, table.actor_id))
        if table is FundingCall:
            query = query.where(table.status != FundingStatus.draft)
        if filters.tag:
            query = query.where(by_tag(table.uri, filters.tag))
        if filters.license:
            query = query.where(table.license == normalize_license(filters.license, strict=False))
        if filters.status:
            query = query.where(table.status == filters.status)
        if filters.currency:
            query = query.where(table.currency == filters.currency.upper())
        if filters.sector:  # a float compares amounts past 32 bits on both databases
            pledged = col(table.raised_by_sector)[str(filters.sector)].as_float()
            query = query.where(pledged > 0)
        if filters.q:
            query = query.where(by_text(table.id, filters.q, since=since))
        return query

    return build


async def _page(
    session: AsyncSession,
    kind: Kind,
    build: Callable[[Any], Select[Any]],
    after: str | None,
    limit: int,
) -> list[tuple[datetime, str, Any]]:
    """Return up to ``limit`` rows of one kind after its cursor, as (time, key, row)."""
    if kind == "actor":  # its cursor was checked by list_directory
        below = int(after) if after is not None else None
        rows = await newest_rows(session, build, key=col(Actor.id), after=below, limit=limit)
        return [(a.created_at, str(a.id), a) for a in rows]
    table = Project if kind == "project" else FundingCall
    rows = await newest_rows(session, build, key=col(table.id), after=after, limit=limit)
    return [(id_time(o.id), o.id, o) for o in rows]


async def list_directory(
    session: AsyncSession, filters: DirectoryFilters, *, cursor: str | None, limit: int, today: date
) -> DirectoryPage:
    """Return one page of the directory, newest first."""
    positions = _decode(cursor)
    if any(k == "actor" and parse_id(v) is None for k, v in positions.items()):
        raise Invalid(N_("invalid cursor"))
    await plan_each_statement(session)  # a rare tag or word needs a plan of its own
    unlisted = list((await session.execute(unlisted_actors())).scalars())
    queries: dict[Kind, Callable[[Any], Select[Any]] | None] = {
        "actor": _actor_query(filters, await _project_ids(session, filters), unlisted),
        "project": _object_query(Project, filters, unlisted),
        "funding_call": _object_query(FundingCall, filters, unlisted),
    }
    candidates: list[tuple[datetime, Kind, str, Any]] = []
    for kind in KINDS:
        query = queries[kind]
        if query is None or (filters.type and filters.type != kind):
            continue
        for moment, key, row in await _page(session, kind, query, positions.get(kind), limit + 1):
            candidates.append((moment, kind, key, row))
    candidates.sort(key=lambda c: (c[0], c[2]), reverse=True)
    chosen = candidates[:limit]
    owners = await _owners(session, [row for _, kind, _, row in chosen if kind != "actor"])
    items = [entry_of(kind, row, owners, today) for moment, kind, _, row in chosen]
    if len(candidates) <= limit:
        return DirectoryPage(items=items, next_cursor=None)
    following = dict(positions)
    for _, kind, key, _ in chosen:
        following[kind] = key
    return DirectoryPage(items=items, next_cursor=_encode(following))


async def _owners(session: AsyncSession, rows: list[Any]) -> dict[int, Actor]:
    ids = {row.actor_id for row in rows}
    if not ids:
        return {}
    found = await session.execute(select(Actor).where(col(Actor.id).in_(ids)))
    return {a.id: a for a in found.scalars() if a.id is not None}


def entry_of(kind: Kind, row: Any, owners: dict[int, Actor], today: date) -> DirectoryEntry:
    """Return the directory entry of an actor, project or funding call row."""
    if kind == "actor":
        return DirectoryEntry(
            type=kind,
            uri=row.uri,
            url=row.url or row.uri,
            name=row.name or row.username,
            summary=row.summary_html or "",
            origin=row.domain,
            is_local=row.is_local,
            handle=f"@{row.username}@{row.domain}",
            kind=row.kind,
            region=row.region,
            listed_at=row.created_at,
        )
    owner = owners.get(row.actor_id)
    common: dict[str, Any] = {
        "type": kind,
        "uri": row.uri,
        "url": row.url or row.uri,
        "summary": row.summary,
        "origin": owner.domain if owner else "",
        "is_local": row.is_local,
        "actor": owner.uri if owner else None,
        "tags": row.tags,
        "listed_at": id_time(row.id),
    }
    if kind == "project":
        return DirectoryEntry(name=row.name, license=row.license, status=row.status, **common)
    return DirectoryEntry(
        name=row.title,
        status=effective_status(row, today) if row.is_local else row.status,
        goal=money_view(row.goal_minor, row.currency),
        raised=money_view(row.raised_minor, row.currency),
        deadline=row.deadline,
        **common,
    )
