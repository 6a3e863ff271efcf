"""Pledges across instances: ``Offer{Pledge}`` answered by ``Accept`` or ``Reject``.

The pledger's instance stores the pledge as ``offered`` and sends the Offer to the call's
owner; the owner's instance validates it (call open, same currency, an amount the one money parser
takes, a verified pledger, a pledge id on the pledger's own server), counts it under the
call's lock by recomputing progress from accepted pledges, tells the call's followers with an
``Update`` and answers. A pledge is identified by its URI, so a repeated Offer is answered
again but never counted twice. ``Undo{Offer}`` withdraws it while the call is open. For a
call of this instance the same API records the pledge directly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import http_uri_host
from schemas.base import as_list, get_id
from schemas.commons import OfferedPledgePublic, PledgeOffer
from schemas.money import MoneyError, parse_amount
from schemas.states import CallEventKind, FundingStatus, PledgeState, Sector
from server.clock import utcnow
from server.domain.figures import (
    check_room_for,
    effective_status,
    lock_call,
    lock_pledge,
    publish_change,
)
from server.domain.history import Change
from server.domain.labels import FUNDING_STATUS_LABELS, named
from server.domain.money import money_view
from server.domain.notes import pledge_document
from server.domain.pledges import accept_pledge
from server.errors import Conflict, Gone, Invalid, NotFound
from server.i18n import N_
from server.publishing.outbox import new_activity, publish
from server.storage.models import Actor, FundingCall, Pledge
from server.urls import Urls, new_id

__all__ = [
    "handle_offer",
    "handle_offer_answer",
    "handle_undo_offer",
    "offer_pledge",
    "offered_pledge_public",
    "withdraw_pledge",
]

_TAKES_PLEDGES = (FundingStatus.open, FundingStatus.funded)

#: Why a pledge cannot be withdrawn, by its state (whole sentences: French agrees the word).
_ALREADY = {
    PledgeState.rejected: N_("the pledge is already rejected"),
    PledgeState.withdrawn: N_("the pledge is already withdrawn"),
}


async def _owner(session: AsyncSession, call: FundingCall) -> Actor:
    owner = await session.get(Actor, call.actor_id)
    if owner is None:
        raise NotFound(N_("the funding call has no owner"))
    return owner


async def offer_pledge(
    session: AsyncSession,
    urls: Urls,
    pledger: Actor,
    call: FundingCall,
    data: PledgeOffer,
    *,
    today: date,
) -> Pledge:
    """Pledge to ``call``: recorded at once for a local call, else offered to its instance.

    Raises ``Invalid`` (currency, amount) and ``Conflict`` (call closed or cancelled).
    """
    owner = await _owner(session, call)
    if call.is_local:
        return await accept_pledge(session, urls, owner, call, data, pledger=pledger, today=today)
    if call.status not in _TAKES_PLEDGES:
        raise Conflict(
            N_("the funding call is {status}; it takes no more pledges"),
            status=named(FUNDING_STATUS_LABELS, call.status),
        )
    if data.amount.currency != call.currency:
        raise Invalid(
            N_("the call is in {currency}"), field="amount.currency", currency=call.currency
        )
    minor = data.amount.minor()
    object_id = new_id()
    pledge = Pledge(
        id=object_id,
        uri=urls.pledge(object_id),
        funding_call_id=call.id,
        pledger_id=pledger.id,
        sector=data.sector,
        amount_minor=minor,
        currency=call.currency,
        message=data.message,
        state=PledgeState.offered,
    )
    document = pledge_document(pledge, call, pledger=pledger, funder=pledger.name)
    document.pop("@context", None)
    offer = new_activity(urls, "Offer", pledger, document, target=call.uri, to=[owner.uri])
    pledge.offer_uri = str(offer["id"])
    session.add(pledge)
    assert owner.inbox_uri
    await publish(session, pledger, offer, inboxes=[owner.inbox_uri])
    return pledge


async def withdraw_pledge(
    session: AsyncSession, urls: Urls, pledge: Pledge, *, today: date
) -> Pledge:
    """Withdraw a pledge while its call is open (``Undo{Offer}`` for a remote call), under the
    call's lock: of two withdrawals of one pledge, the second finds it withdrawn.

    Raises ``Conflict`` when the pledge was already withdrawn or settled otherwise, or the
    call is closed, and ``Gone`` when the call was deleted; nothing is sent then.
    """
    call = await lock_pledge(session, pledge)
    if call.is_local and call.deleted_at is not None:
        raise Gone(N_("the funding call was deleted"))
    status = effective_status(call, today) if call.is_local else call.status
    if pledge.state not in (PledgeState.offered, PledgeState.accepted):
        raise Conflict(_ALREADY[PledgeState(pledge.state)])
    if status not in _TAKES_PLEDGES:
        raise Conflict(
            N_("the funding call is {status}; pledges can no longer be withdrawn"),
            status=named(FUNDING_STATUS_LABELS, status),
        )
    pledge.state, pledge.updated_at = PledgeState.withdrawn, utcnow()
    owner = await _owner(session, call)
    pledger = await session.get(Actor, pledge.pledger_id)
    assert pledger is not None
    if call.is_local:
        change = Change(CallEventKind.withdrawn, pledger.uri, pledge)
        await publish_change(session, urls, owner, call, change, today=today)
        return pledge
    assert owner.inbox_uri
    embedded = {
        "id": pledge.offer_uri,
        "type": "Offer",
        "actor": pledger.uri,
        "target": call.uri,
        "object": pledge.uri,
    }
    await publish(
        session, pledger, new_activity(urls, "Undo", pledger, embedded), inboxes=[owner.inbox_uri]
    )
    return pledge


def _reason(activity: dict[str, Any]) -> str | None:
    for key in ("content", "summary"):
        value = activity.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
    return None


async def _answer(
    session: AsyncSession,
    urls: Urls,
    owner: Actor,
    pledger: Actor,
    offer: dict[str, Any],
    *,
    reason: str | None,
) -> None:
    """Send Accept (no reason) or Reject (with its reason) of an Offer to the pledger."""
    assert pledger.inbox_uri
    answer = new_activity(urls, "Reject" if reason else "Accept", owner, offer)
    if reason:
        answer["content"] = reason
    await publish(session, owner, answer, inboxes=[pledger.inbox_uri])


def _validate(call: FundingCall, pledge: dict[str, Any], today: date) -> tuple[int, str] | str:
    """Return (minor units, sector) of a valid pledge, or why it is refused."""
    status = effective_status(call, today)
    if status not in _TAKES_PLEDGES:
        return f"the funding call is {status}"
    amount = pledge.get("amount")
    if not isinstance(amount, dict):
        return "amount must be a MonetaryAmount whose value is a decimal string"
    if amount.get("currency") != call.currency:
        return f"the funding call takes {call.currency} only"
    sector = pledge.get("sector")
    if not isinstance(sector, str) or sector not in set(Sector):
        return "sector must be public, private, civil_society or individual"
    try:
        minor = parse_amount(amount.get("value"), call.currency)
        check_room_for(call, minor)
    except MoneyError as exc:
        return str(exc)
    except Conflict as exc:
        return exc.detail
    return minor, str(sector)


def _not_understood(pledge: Any) -> str | None:
    """Return why an Offer's object is not a pledge we can read, or None when it is one."""
    if not isinstance(pledge, dict) or "Pledge" not in as_list(pledge.get("objectType")):
        return "the Offer must carry a Pledge object (objectType Pledge), embedded"
    if not isinstance(pledge.get("id"), str):
        return "the Pledge must have an id"
    return None


async def _find_call(session: AsyncSession, urls: Urls, uri: str | None) -> FundingCall | None:
    call = (
        await session.execute(
            select(FundingCall).where(
                FundingCall.uri == uri,
                FundingCall.is_local == True,
                FundingCall.deleted_at == None,
            )
        )
    ).scalar_one_or_none()
    return call if call is not None and urls.is_local(call.uri) else None


async def handle_offer(
    session: AsyncSession, urls: Urls, activity: dict[str, Any], *, today: date
) -> str:
    """Validate, count and answer an ``Offer{Pledge}`` made to one of our funding calls.

    An Offer whose pledge id is not on the pledger's own server (ours, say: a forged id) is
    rejected, and nothing is stored; so is one we cannot understand (no embedded Pledge, no
    id), with the reason.
    """
    signer = str(get_id(activity.get("actor")))
    pledge_doc = activity.get("object")
    call_uri = get_id(activity.get("target"))
    if call_uri is None and isinstance(pledge_doc, dict):
        call_uri = get_id(pledge_doc.get("fundingCall"))
    call = await _find_call(session, urls, call_uri)
    pledger = (await session.execute(select(Actor).where(Actor.uri == signer))).scalar_one_or_none()
    if call is None or pledger is None:
        return "ignored"
    call = await lock_call(session, call)
    owner = await _owner(session, call)
    offer = {k: v for k, v in activity.items() if k != "@context"}
    if (problem := _not_understood(pledge_doc)) is not None:
        await _answer(session, urls, owner, pledger, offer, reason=problem)
        await session.commit()
        return "refused"
    assert isinstance(pledge_doc, dict)
    pledge_uri = str(pledge_doc["id"])
    if http_uri_host(pledge_uri) is None or http_uri_host(pledge_uri) != http_uri_host(signer):
        reason = "the pledge's id must be on the pledger's own server"
        await _answer(session, urls, owner, pledger, offer, reason=reason)
        await session.commit()
        return "refused"
    existing = (
        await session.execute(select(Pledge).where(Pledge.uri == pledge_uri))
    ).scalar_one_or_none()
    if existing is not None:
        if existing.pledger_id != pledger.id:
            return "ignored"
        await _answer(
            session,
            urls,
            owner,
            pledger,
            offer,
            reason=existing.reason if existing.state == PledgeState.rejected else None,
        )
        await session.commit()
        return "answered again"
    checked = _validate(call, pledge_doc, today)
    message = pledge_doc.get("content")
    pledge = Pledge(
        id=new_id(),
        uri=pledge_uri,
        funding_call_id=call.id,
        pledger_id=pledger.id,
        sector=checked[1] if isinstance(checked, tuple) else Sector.individual,
        amount_minor=checked[0] if isinstance(checked, tuple) else 0,
        currency=call.currency,
        message=message[:2000] if isinstance(message, str) else "",
        offer_uri=str(activity["id"]),
        state=PledgeState.accepted if isinstance(checked, tuple) else PledgeState.rejected,
        reason=None if isinstance(checked, tuple) else checked[:500],
    )
    session.add(pledge)
    await session.flush()
    if pledge.state == PledgeState.accepted:
        change = Change(CallEventKind.pledged, pledger.uri, pledge)
        await publish_change(session, urls, owner, call, change, today=today)
    await _answer(session, urls, owner, pledger, offer, reason=pledge.reason)
    await session.commit()
    return str(pledge.state)


async def handle_offer_answer(
    session: AsyncSession, signer: str, answer: dict[str, Any], *, accepted: bool
) -> str:
    """Record the owner's Accept or Reject of one of our Offers (signed by the call's owner)."""
    offer_uri = get_id(answer.get("object"))
    if offer_uri is None:  # no object: a NULL would match every pledge never offered
        return "ignored"
    pledge = (
        await session.execute(select(Pledge).where(Pledge.offer_uri == offer_uri))
    ).scalar_one_or_none()
    if pledge is None or pledge.state != PledgeState.offered:
        return "ignored"
    call = await lock_pledge(session, pledge)
    owner = await session.get(Actor, call.actor_id)
    if owner is None or owner.uri != signer or pledge.state != PledgeState.offered:
        return "ignored"
    pledge.state = PledgeState.accepted if accepted else PledgeState.rejected
    pledge.reason = None if accepted else (_reason(answer) or "refused")
    pledge.updated_at = utcnow()
    await session.commit()
    return str(pledge.state)


async def handle_undo_offer(
    session: AsyncSession, urls: Urls, signer: str, offer: Any, *, today: date
) -> str:
    """Withdraw a pledge its pledger takes back, while the call is open."""
    offer_uri = get_id(offer)
    if offer_uri is None:  # no object: a NULL would match every pledge never offered
        return "ignored"
    pledge = (
        await session.execute(select(Pledge).where(Pledge.offer_uri == offer_uri))
    ).scalar_one_or_none()
    if pledge is None or pledge.state != PledgeState.accepted:
        return "ignored"
    pledger = await session.get(Actor, pledge.pledger_id) if pledge.pledger_id else None
    if pledger is None or pledger.uri != signer:
        return "ignored"
    call = await lock_pledge(session, pledge)
    if not call.is_local or call.deleted_at is not None or pledge.state != PledgeState.accepted:
        return "ignored"
    if effective_status(call, today) not in _TAKES_PLEDGES:
        return "ignored"
    pledge.state, pledge.updated_at = PledgeState.withdrawn, utcnow()
    change = Change(CallEventKind.withdrawn, pledger.uri, pledge)
    await publish_change(session, urls, await _owner(session, call), call, change, today=today)
    await session.commit()
    return "withdrawn"


async def offered_pledge_public(session: AsyncSession, pledge: Pledge) -> OfferedPledgePublic:
    """Return a pledge as its pledger sees it."""
    call_uri = await session.scalar(
        select(FundingCall.uri).where(FundingCall.id == pledge.funding_call_id)
    )
    return OfferedPledgePublic(
        id=pledge.id,
        uri=pledge.uri,
        funding_call=call_uri or "",
        amount=money_view(pledge.amount_minor, pledge.currency),
        sector=pledge.sector,
        message=pledge.message,
        state=pledge.state,
        reason=pledge.reason,
        created_at=pledge.created_at,
    )
