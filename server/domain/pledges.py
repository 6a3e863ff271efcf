"""Pledges counted on a local funding call: by a local actor itself, or recorded by the owner.

Consent: a pledge carries an actor's name only if that actor made it, with its own token or
its own signed Offer. The call's owner (or an admin) may record a funder outside the
fediverse (``funder_name``); such a pledge is marked as recorded by the call's owner
everywhere it is shown. A pledge is accepted at once, under the call's lock, and the call's
figures move with it (``figures``). Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.commons import PledgeCreate, PledgeOffer, PledgePublic
from schemas.states import CallEventKind, FundingStatus, PledgeState
from server.domain.figures import check_room_for, effective_status, lock_call, publish_change
from server.domain.history import Change
from server.domain.labels import FUNDING_STATUS_LABELS, named
from server.domain.money import money_view
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.i18n import N_
from server.storage.models import Actor, FundingCall, Pledge
from server.storage.paging import keyset_page
from server.urls import Urls, new_id

__all__ = [
    "LISTED_STATES",
    "accept_pledge",
    "accepted_count_and_sum",
    "funder_of",
    "funders_of",
    "get_pledge",
    "list_pledges",
    "pledge_public",
    "record_pledge",
]

#: The pledges a call lists: accepted ones, and withdrawn ones marked (never counted).
#: Rejected Offers were never part of the call and are listed nowhere.
LISTED_STATES = (PledgeState.accepted, PledgeState.withdrawn)


async def _local_actor(session: AsyncSession, username: str) -> Actor:
    found = (
        await session.execute(
            select(Actor).where(
                Actor.username == username.lstrip("@").partition("@")[0],
                Actor.is_local == True,
                Actor.type != "Application",
            )
        )
    ).scalar_one_or_none()
    if found is None or found.suspended_at is not None:
        raise Invalid(N_("no local actor {username!r}"), field="pledger", username=username)
    return found


async def accept_pledge(
    session: AsyncSession,
    urls: Urls,
    owner: Actor,
    call: FundingCall,
    terms: PledgeCreate | PledgeOffer,
    *,
    pledger: Actor | None,
    today: date,
) -> Pledge:
    """Count a pledge of ``terms`` (amount, sector, message) by ``pledger`` itself, or, with
    no pledger, recorded by the owner for the funder that ``terms`` names.

    Raises ``Invalid`` for a currency other than the call's or the owner pledging to its own
    call, ``Conflict`` when the call is closed or cancelled or its total would pass the
    maximum, and ``Gone`` when it was deleted.
    """
    call = await lock_call(session, call)
    status = effective_status(call, today)
    if status in (FundingStatus.draft, FundingStatus.closed, FundingStatus.cancelled):
        raise Conflict(
            N_("funding call {id!r} is {status}; it takes no more pledges"),
            id=call.id,
            status=named(FUNDING_STATUS_LABELS, status),
        )
    currency = terms.amount.currency
    if currency != call.currency:
        raise Invalid(
            N_("the call is in {expected}, not {currency}"),
            field="amount.currency",
            expected=call.currency,
            currency=currency,
        )
    if pledger is not None and pledger.id == owner.id:
        raise Invalid(N_("must be another actor than the call's owner"), field="pledger")
    minor = terms.amount.minor()
    check_room_for(call, minor)
    object_id = new_id()
    pledge = Pledge(
        id=object_id,
        uri=urls.pledge(object_id),
        funding_call_id=call.id,
        pledger_id=pledger.id if pledger else None,
        funder_name=terms.funder_name if isinstance(terms, PledgeCreate) else None,
        recorded_by_owner=pledger is None,
        sector=terms.sector,
        amount_minor=minor,
        currency=call.currency,
        message=terms.message,
        state=PledgeState.accepted,
    )
    session.add(pledge)
    await session.flush()
    change = Change(CallEventKind.pledged, (pledger or owner).uri, pledge)
    await publish_change(session, urls, owner, call, change, today=today)
    return pledge


async def record_pledge(
    session: AsyncSession,
    urls: Urls,
    owner: Actor,
    call: FundingCall,
    data: PledgeCreate,
    *,
    caller_actor_id: int | None,
    today: date,
) -> Pledge:
    """Record a pledge on the owner's call, for a funder outside the fediverse.

    ``pledger`` may only name the token's own actor. Raises ``Forbidden`` when it names
    another one, and what ``accept_pledge`` raises.
    """
    pledger = await _local_actor(session, data.pledger) if data.pledger else None
    if pledger is not None and pledger.id != caller_actor_id:
        raise Forbidden(
            N_(
                "only {username} can pledge in its own name, with its own token "
                "(POST /api/v1/pledges); record a funder outside the fediverse with funder_name"
            ),
            field="pledger",
            username=pledger.username,
        )
    return await accept_pledge(session, urls, owner, call, data, pledger=pledger, today=today)


async def get_pledge(session: AsyncSession, object_id: str) -> Pledge:
    """Return a pledge by id; raises ``NotFound``."""
    pledge = await session.get(Pledge, object_id)
    if pledge is None:
        raise NotFound(N_("no pledge {id!r}"), id=object_id)
    return pledge


async def list_pledges(
    session: AsyncSession,
    of: FundingCall | Actor,
    *,
    cursor: str | None = None,
    limit: int = 50,
    states: tuple[str, ...] = LISTED_STATES,
) -> tuple[list[Pledge], str | None]:
    """Return one page, newest first, and the next cursor: of the pledges a call lists
    (in ``states``), or of those an actor made itself."""
    if isinstance(of, FundingCall):
        query = select(Pledge).where(Pledge.funding_call_id == of.id, col(Pledge.state).in_(states))
    else:
        query = select(Pledge).where(Pledge.pledger_id == of.id, Pledge.recorded_by_owner == False)
    return await keyset_page(session, query, key=col(Pledge.id), cursor=cursor, limit=limit)


async def accepted_count_and_sum(session: AsyncSession, call: FundingCall) -> tuple[int, int]:
    """Return how many pledges of the call are accepted, and their sum in minor units."""
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Pledge.amount_minor), 0)).where(
                Pledge.funding_call_id == call.id, Pledge.state == PledgeState.accepted
            )
        )
    ).one()
    return int(count), int(total)


async def funder_of(session: AsyncSession, pledge: Pledge) -> tuple[Actor | None, str]:
    """Return the actor who made the pledge (None when the owner recorded it) and the
    funder's name as people read it."""
    actor = await session.get(Actor, pledge.pledger_id) if pledge.pledger_id else None
    return _funder(pledge, actor)


async def funders_of(
    session: AsyncSession, pledges: Sequence[Pledge]
) -> list[tuple[Actor | None, str]]:
    """Return ``funder_of`` for each pledge, their actors read in one query (a page listing
    a thousand pledges made a query per pledge)."""
    ids = {p.pledger_id for p in pledges if p.pledger_id is not None}
    actors = (
        {
            a.id: a
            for a in (await session.execute(select(Actor).where(col(Actor.id).in_(ids)))).scalars()
        }
        if ids
        else {}
    )
    return [_funder(p, actors.get(p.pledger_id) if p.pledger_id else None) for p in pledges]


def _funder(pledge: Pledge, actor: Actor | None) -> tuple[Actor | None, str]:
    """Return the pledge's actor, unless its owner recorded it, and the funder's name."""
    name = (actor.name or actor.username) if actor else ""
    if pledge.recorded_by_owner:
        return None, pledge.funder_name or name
    return actor, name


async def pledge_public(session: AsyncSession, pledge: Pledge) -> PledgePublic:
    """Return the JSON API view of a pledge."""
    pledger, name = await funder_of(session, pledge)
    return PledgePublic(
        id=pledge.id,
        uri=pledge.uri,
        funding_call_id=pledge.funding_call_id,
        pledger=pledger.uri if pledger else None,
        funder_name=name if pledge.recorded_by_owner else pledge.funder_name,
        recorded_by_owner=pledge.recorded_by_owner,
        sector=pledge.sector,
        amount=money_view(pledge.amount_minor, pledge.currency),
        message=pledge.message,
        status=pledge.state,
        created_at=pledge.created_at,
    )
