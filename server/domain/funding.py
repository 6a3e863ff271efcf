"""Funding calls: create, update, cancel, delete, list, and their progress from pledges.

Status is derived, never stored blindly: ``cancelled`` is the owner's decision; otherwise a call
is ``funded`` once accepted pledges reach the goal, ``closed`` once its deadline (a UTC date)
has passed, and ``open`` until then. Reads compute it for ``today``, so a call whose deadline
passed shows closed without any write; every write stores it again. Each change runs under
the call's row lock and recomputes progress from the accepted pledges (``figures``).
Services never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.commons import FundingCallCreate, FundingCallPublic, FundingCallUpdate, ImagePublic
from schemas.money import to_decimal_string
from schemas.states import CallEventKind, FundingStatus, Sector
from server.clock import utcnow
from server.domain.figures import effective_status, lock_call, note_of_call, publish_change
from server.domain.history import Change, record_change
from server.domain.lifecycle import get_object, publish_delete, publish_note, set_tags
from server.domain.listing import by_actor, by_tag, by_text
from server.domain.money import money_view, percent_of
from server.domain.text import render_markdown
from server.errors import Conflict, Invalid, refuse_nulls
from server.i18n import N_
from server.storage.models import Actor, FundingCall, Pledge, Project
from server.storage.paging import keyset_page
from server.urls import Urls, new_id

__all__ = [
    "close_expired_calls",
    "create_funding_call",
    "delete_funding_call",
    "funding_call_public",
    "funding_calls_of",
    "get_funding_call",
    "list_funding_calls",
    "publish_draft",
    "update_funding_call",
]


def _deadline(day: date, today: date) -> date:
    if day < today:
        raise Invalid(
            N_("{day} is in the past (today is {today} UTC)"),
            field="deadline",
            day=day.isoformat(),
            today=today,
        )
    return day


async def _own_project(session: AsyncSession, actor: Actor, project_id: str) -> Project:
    project = await session.get(Project, project_id)
    if project is None or project.deleted_at is not None:
        raise Invalid(N_("no project {id!r}"), field="project_id", id=project_id)
    if project.actor_id != actor.id:
        raise Invalid(
            N_("project {id!r} belongs to another actor"), field="project_id", id=project_id
        )
    return project


async def create_funding_call(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    data: FundingCallCreate,
    *,
    today: date,
    draft: bool = False,
) -> FundingCall:
    """Store a call and publish its ``Create{Note}`` (a ``draft`` is stored unpublished, until
    ``publish_draft``); the caller commits.

    Raises ``Invalid`` for an unknown currency, too many decimals, a deadline before
    ``today`` or a project that is not the actor's.
    """
    project = await _own_project(session, actor, data.project_id) if data.project_id else None
    object_id = new_id()
    now = utcnow()
    call = FundingCall(
        id=object_id,
        uri=urls.funding_call(object_id),
        url=urls.funding_call(object_id),
        actor_id=actor.id or 0,
        project_id=project.id if project else None,
        project_uri=project.uri if project else None,
        title=data.title,
        summary=data.summary,
        description=data.description,
        description_html=render_markdown(data.description),
        currency=data.goal.currency,
        goal_minor=data.goal.minor(),
        deadline=_deadline(data.deadline, today),
        tags=data.tags,
        status=FundingStatus.draft if draft else FundingStatus.open,
        published_at=now,
        updated_at=now,
    )
    session.add(call)
    await session.flush()
    if not draft:
        await _publish_creation(session, urls, actor, call, today=today)
    return call


async def _publish_creation(
    session: AsyncSession, urls: Urls, actor: Actor, call: FundingCall, *, today: date
) -> None:
    await record_change(session, call, Change(CallEventKind.created, actor.uri))
    await set_tags(session, call.uri, call.tags, kind="funding_call")
    note = await note_of_call(session, urls, call, today=today, actor=actor)
    await publish_note(session, urls, actor, "Create", note)
    await session.flush()


async def publish_draft(
    session: AsyncSession, urls: Urls, actor: Actor, call: FundingCall, *, today: date
) -> FundingCall:
    """Open a draft call (under its lock): it is published now (``Create{Note}``), its
    history starts and it takes pledges.

    Raises ``Conflict`` when the call is no draft and ``Invalid`` when its deadline passed.
    """
    call = await lock_call(session, call)
    if call.status != FundingStatus.draft:
        raise Conflict(N_("funding call {id!r} is already published"), id=call.id)
    _deadline(call.deadline, today)
    call.status = FundingStatus.open
    call.published_at = call.updated_at = utcnow()
    await _publish_creation(session, urls, actor, call, today=today)
    return call


async def update_funding_call(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    call: FundingCall,
    data: FundingCallUpdate,
    *,
    today: date,
) -> FundingCall:
    """Apply changes (``status: cancelled`` cancels) and publish ``Update{Note}``, under the
    call's lock: a cancellation happens whole, and no pledge counted meanwhile undoes it.

    Raises ``Invalid`` as ``create_funding_call`` does, for a null required field, and for a
    currency change once pledges were recorded.
    """
    fields = data.model_dump(exclude_unset=True)
    refuse_nulls(fields, ("title", "summary", "description", "goal", "deadline", "tags", "status"))
    call = await lock_call(session, call)
    if data.goal is not None:
        currency = data.goal.currency
        if currency != call.currency and await _has_pledges(session, call):
            raise Invalid(
                N_("pledges were recorded in {currency}; it cannot change"),
                field="goal.currency",
                currency=call.currency,
            )
        call.goal_minor, call.currency = data.goal.minor(), currency
    if "project_id" in fields:
        project = await _own_project(session, actor, data.project_id) if data.project_id else None
        call.project_id = project.id if project else None
        call.project_uri = project.uri if project else None
    if data.deadline is not None:
        call.deadline = _deadline(data.deadline, today)
    if data.description is not None:
        call.description = data.description
        call.description_html = render_markdown(data.description)
    for name in ("title", "summary", "tags"):
        if name in fields:
            setattr(call, name, getattr(data, name))
    if data.tags is not None:
        await set_tags(session, call.uri, call.tags, kind="funding_call")
    kind = CallEventKind.edited
    if data.status == FundingStatus.cancelled and call.status == FundingStatus.draft:
        raise Invalid(
            N_("a draft is not cancelled but deleted, as nobody has seen it"), field="status"
        )
    if data.status == FundingStatus.cancelled:
        call.status, kind = FundingStatus.cancelled, CallEventKind.cancelled
    await publish_change(session, urls, actor, call, Change(kind, actor.uri), today=today)
    return call


async def close_expired_calls(session: AsyncSession, urls: Urls, *, today: date) -> int:
    """Store ``closed`` on open local calls whose deadline passed and tell followers.

    Reads already show them closed; this sends the ``Update`` that Mastodon users see (for a
    periodic worker or a CLI command). Each call is read again under its lock, so one another
    change (or another worker) settled meanwhile is left alone. Returns how many calls were
    closed; the caller commits.
    """
    # In id order: two workers closing at once take the calls' locks in the same order.
    query = (
        select(FundingCall)
        .where(
            FundingCall.status == FundingStatus.open,
            FundingCall.deadline < today,
            FundingCall.deleted_at == None,
            FundingCall.is_local == True,
        )
        .order_by(col(FundingCall.id))
    )
    closed = 0
    for call in (await session.execute(query)).scalars().all():
        await lock_call(session, call)
        if call.status != FundingStatus.open or call.deadline >= today:
            continue
        actor = await session.get(Actor, call.actor_id)
        assert actor is not None
        await publish_change(
            session, urls, actor, call, Change(CallEventKind.closed, None), today=today
        )
        closed += 1
    return closed


async def _has_pledges(session: AsyncSession, call: FundingCall) -> bool:
    found = await session.scalar(select(Pledge.id).where(Pledge.funding_call_id == call.id))
    return found is not None


async def delete_funding_call(
    session: AsyncSession, urls: Urls, actor: Actor, call: FundingCall
) -> None:
    """Leave a Tombstone (the id is never reused) and publish ``Delete`` to the same audience;
    under the call's lock, so that no pledge is counted on it afterwards."""
    call = await lock_call(session, call)
    call.deleted_at = utcnow()
    await publish_delete(session, urls, actor, call.uri, call.deleted_at)
    await session.flush()


async def get_funding_call(
    session: AsyncSession, object_id: str, *, allow_deleted: bool = False
) -> FundingCall:
    """Return a funding call by id; raises ``NotFound`` or ``Gone``."""
    return await get_object(
        session, FundingCall, object_id, "funding call", allow_deleted=allow_deleted
    )


def _status_is(status: str, today: date) -> Any:
    """The SQL condition for a derived status (a passed deadline closes an open call)."""
    stored = col(FundingCall.status)
    if status == FundingStatus.open:
        return and_(stored == FundingStatus.open, col(FundingCall.deadline) >= today)
    if status == FundingStatus.closed:
        return or_(
            stored == FundingStatus.closed,
            and_(stored == FundingStatus.open, col(FundingCall.deadline) < today),
        )
    return stored == status


async def list_funding_calls(
    session: AsyncSession,
    *,
    local_domain: str,
    today: date,
    actor: str | None = None,
    tag: str | None = None,
    status: str | None = None,
    q: str | None = None,
    currency: str | None = None,
    project_id: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[FundingCall], str | None]:
    """Return one page of live funding calls, newest first, and the next cursor (drafts only
    when ``status`` asks for them)."""
    query = select(FundingCall).where(FundingCall.deleted_at == None)
    if status != FundingStatus.draft:
        query = query.where(FundingCall.status != FundingStatus.draft)
    if actor:
        query = query.where(by_actor(FundingCall.actor_id, actor, local_domain))
    if tag:
        query = query.where(by_tag(FundingCall.uri, tag))
    if status:
        query = query.where(_status_is(status, today))
    if q:
        query = query.where(by_text(FundingCall.id, q))
    if currency:
        query = query.where(FundingCall.currency == currency.upper())
    if project_id:
        query = query.where(FundingCall.project_id == project_id)
    return await keyset_page(session, query, key=col(FundingCall.id), cursor=cursor, limit=limit)


async def funding_calls_of(
    session: AsyncSession,
    *,
    actor_id: int | None = None,
    project_id: str | None = None,
    limit: int = 50,
) -> list[FundingCall]:
    """Return the published live calls of an actor or of a project, newest first, for pages."""
    query = select(FundingCall).where(
        FundingCall.deleted_at == None, FundingCall.status != FundingStatus.draft
    )
    if actor_id is not None:
        query = query.where(FundingCall.actor_id == actor_id)
    if project_id is not None:
        query = query.where(FundingCall.project_id == project_id)
    query = query.order_by(col(FundingCall.id).desc()).limit(limit)
    return list((await session.execute(query)).scalars().all())


async def funding_call_public(
    session: AsyncSession, call: FundingCall, *, today: date
) -> FundingCallPublic:
    """Return the JSON API view of a call, with its status as of ``today``."""
    actor_uri = await session.scalar(select(Actor.uri).where(Actor.id == call.actor_id))
    return FundingCallPublic(
        id=call.id,
        uri=call.uri,
        url=call.url or call.uri,
        actor=actor_uri or "",
        project_id=call.project_id,
        project_uri=call.project_uri,
        title=call.title,
        summary=call.summary,
        description=call.description,
        description_html=call.description_html,
        goal=money_view(call.goal_minor, call.currency),
        raised=money_view(call.raised_minor, call.currency),
        raised_by_sector={
            sector: to_decimal_string(call.raised_by_sector.get(sector, 0), call.currency)
            for sector in Sector
        },
        progress_percent=percent_of(call.raised_minor, call.goal_minor),
        deadline=call.deadline,
        status=effective_status(call, today),
        tags=call.tags,
        is_local=call.is_local,
        logo=ImagePublic.of(call.icon) if call.icon else None,
        images=[ImagePublic.of(image) for image in call.attachment],
        published_at=call.published_at,
        updated_at=call.updated_at,
    )
