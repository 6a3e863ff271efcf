"""Pledges recorded locally on a funding call, by its owner or an admin.

A pledge comes from another local actor or from a named funder outside the fediverse (a
region, a company); it is accepted at once, the call's progress is recomputed from its
accepted pledges and followers receive an ``Update`` of the call. Services never commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.commons import Money, PledgeCreate, PledgePublic
from schemas.states import FundingStatus, PledgeState
from server.domain.funding import effective_status, publish_call_update, recompute_progress
from server.domain.money import MoneyError, to_decimal_string, to_minor
from server.errors import Conflict, Invalid, NotFound
from server.storage.models import Actor, FundingCall, Pledge
from server.storage.paging import keyset_page
from server.urls import Urls, new_id

__all__ = ["funder_of", "get_pledge", "list_pledges", "pledge_public", "record_pledge"]


async def _pledger(session: AsyncSession, owner: Actor, username: str) -> Actor:
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
        raise Invalid(f"pledger: no local actor {username!r}")
    if found.id == owner.id:
        raise Invalid("pledger: must be another actor than the call's owner")
    return found


async def record_pledge(
    session: AsyncSession,
    urls: Urls,
    owner: Actor,
    call: FundingCall,
    data: PledgeCreate,
    *,
    today: date,
) -> Pledge:
    """Record an accepted pledge, recompute progress and publish the call's ``Update``.

    Raises ``Invalid`` for an unknown pledger, a currency other than the call's or a bad
    amount, and ``Conflict`` when the call is closed or cancelled.
    """
    status = effective_status(call, today)
    if status in (FundingStatus.closed, FundingStatus.cancelled):
        raise Conflict(f"funding call {call.id!r} is {status}; it takes no more pledges")
    if data.amount.currency != call.currency:
        raise Invalid(
            f"amount.currency: the call is in {call.currency}, not {data.amount.currency}"
        )
    try:
        amount_minor = to_minor(data.amount.amount, data.amount.currency)
    except MoneyError as error:
        raise Invalid(f"amount: {error}") from None
    pledger = await _pledger(session, owner, data.pledger) if data.pledger else None
    object_id = new_id()
    pledge = Pledge(
        id=object_id,
        uri=urls.pledge(object_id),
        funding_call_id=call.id,
        pledger_id=pledger.id if pledger else None,
        funder_name=data.funder_name,
        sector=data.sector,
        amount_minor=amount_minor,
        currency=call.currency,
        message=data.message,
        state=PledgeState.accepted,
    )
    session.add(pledge)
    await session.flush()
    await recompute_progress(session, call)
    await publish_call_update(session, urls, owner, call, today=today)
    return pledge


async def get_pledge(session: AsyncSession, object_id: str) -> Pledge:
    """Return a pledge by id; raises ``NotFound``."""
    pledge = await session.get(Pledge, object_id)
    if pledge is None:
        raise NotFound(f"no pledge {object_id!r}")
    return pledge


async def list_pledges(
    session: AsyncSession,
    of: FundingCall | Actor,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Pledge], str | None]:
    """Return one page of a call's pledges, or of those an actor made, newest first, and the
    next cursor."""
    if isinstance(of, FundingCall):
        query = select(Pledge).where(Pledge.funding_call_id == of.id)
    else:
        query = select(Pledge).where(Pledge.pledger_id == of.id)
    return await keyset_page(session, query, key=col(Pledge.id), cursor=cursor, limit=limit)


async def funder_of(session: AsyncSession, pledge: Pledge) -> tuple[Actor | None, str]:
    """Return the pledging actor (if any) and the funder's name as people read it."""
    if pledge.pledger_id is None:
        return None, pledge.funder_name or ""
    actor = await session.get(Actor, pledge.pledger_id)
    return actor, (actor.name or actor.username) if actor else ""


async def pledge_public(session: AsyncSession, pledge: Pledge) -> PledgePublic:
    """Return the JSON API view of a pledge."""
    pledger, _ = await funder_of(session, pledge)
    return PledgePublic(
        id=pledge.id,
        uri=pledge.uri,
        funding_call_id=pledge.funding_call_id,
        pledger=pledger.uri if pledger else None,
        funder_name=pledge.funder_name,
        sector=pledge.sector,
        amount=Money.model_construct(
            amount=to_decimal_string(pledge.amount_minor, pledge.currency),
            currency=pledge.currency,
        ),
        message=pledge.message,
        status=pledge.state,
        created_at=pledge.created_at,
    )
