"""A funding call's history: every change to its figures or status, who made it, and when.

Rows are only added, in the transaction of the change itself, so the history and the figures
never disagree; the database refuses any UPDATE or DELETE of them (migration 0008).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.commons import FundingCallEventPublic
from schemas.states import CallEventKind
from server.clock import utcnow
from server.domain.money import money_view
from server.storage.models import FundingCall, FundingCallEvent, Pledge
from server.storage.paging import keyset_page

__all__ = ["Change", "event_public", "list_history", "record_change"]


@dataclass(frozen=True)
class Change:
    """What changed a call and who did it: an actor's URI, or None for this instance."""

    kind: CallEventKind
    actor_uri: str | None
    pledge: Pledge | None = None


def _figures(row: FundingCall | FundingCallEvent) -> tuple[int, int, str, str]:
    return row.goal_minor, row.raised_minor, row.currency, row.status


async def record_change(session: AsyncSession, call: FundingCall, change: Change) -> None:
    """Add a history row with the call's figures now, unless nothing a reader sees moved.

    A pledge accepted or withdrawn is always recorded; an edit of the title is not.
    """
    if change.pledge is None:
        last = (
            await session.execute(
                select(FundingCallEvent)
                .where(FundingCallEvent.funding_call_id == call.id)
                .order_by(col(FundingCallEvent.id).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None and _figures(last) == _figures(call):
            return
    session.add(
        FundingCallEvent(
            funding_call_id=call.id,
            kind=change.kind,
            actor_uri=change.actor_uri,
            pledge_id=change.pledge.id if change.pledge else None,
            amount_minor=change.pledge.amount_minor if change.pledge else None,
            currency=call.currency,
            goal_minor=call.goal_minor,
            raised_minor=call.raised_minor,
            status=call.status,
            at=utcnow(),
        )
    )
    await session.flush()


async def list_history(
    session: AsyncSession, call: FundingCall, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[FundingCallEvent], str | None]:
    """Return one page of a call's history, newest first, and the next cursor."""
    query = select(FundingCallEvent).where(FundingCallEvent.funding_call_id == call.id)
    return await keyset_page(
        session, query, key=col(FundingCallEvent.id), cursor=cursor, limit=limit
    )


async def event_public(session: AsyncSession, event: FundingCallEvent) -> FundingCallEventPublic:
    """Return the JSON API view of one history row."""
    pledge_uri = (
        await session.scalar(select(Pledge.uri).where(Pledge.id == event.pledge_id))
        if event.pledge_id
        else None
    )
    return FundingCallEventPublic(
        id=str(event.id),
        at=event.at,
        kind=event.kind,
        actor=event.actor_uri,
        pledge=pledge_uri,
        amount=(
            money_view(event.amount_minor, event.currency)
            if event.amount_minor is not None
            else None
        ),
        goal=money_view(event.goal_minor, event.currency),
        raised=money_view(event.raised_minor, event.currency),
        status=event.status,
    )
