"""A local call's figures, changed one transaction at a time: lock, recompute, record, publish.

Every change to a call's figures or status (a pledge accepted or withdrawn, a goal or a
deadline edited, a cancellation, a deadline passing) runs in one transaction that first takes
the call's row lock (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite has a single writer) and
reads the call again. It then recomputes the totals from the accepted pledges, stores the
status, adds a history row and publishes exactly one ``Update``, whose ``updated`` is later
than the last one's and whose figures are the stored ones. Concurrent changes queue on the
row: none is lost, and the last ``Update`` followers receive says what is stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.money import MAX_TOTAL_MINOR
from schemas.states import FundingStatus, PledgeState
from server.domain.history import Change, record_change
from server.domain.lifecycle import next_updated, publish_note
from server.domain.notes import funding_call_note
from server.errors import Conflict, Gone
from server.i18n import N_
from server.storage.models import Actor, FundingCall, Pledge, Project
from server.urls import Urls

__all__ = [
    "check_room_for",
    "effective_status",
    "lock_call",
    "lock_pledge",
    "note_of_call",
    "publish_change",
]


def effective_status(call: FundingCall, today: date) -> str:
    """Return the call's status on ``today`` (draft > cancelled > funded > closed > open)."""
    if call.status in (FundingStatus.draft, FundingStatus.cancelled):
        return FundingStatus(call.status)
    if call.raised_minor >= call.goal_minor:
        return FundingStatus.funded
    if today > call.deadline:
        return FundingStatus.closed
    return FundingStatus.open


async def lock_call(
    session: AsyncSession, call: FundingCall, *, allow_deleted: bool = False
) -> FundingCall:
    """Take the call's row lock until the transaction ends, and read the call again under it.

    Whatever was read before may be stale: another change may have committed since. Raises
    ``Gone`` when the call was deleted (unless ``allow_deleted``).
    """
    await session.refresh(call, with_for_update={"key_share": True})
    if call.deleted_at is not None and not allow_deleted:
        raise Gone(N_("funding call {id!r} was deleted"), id=call.id)
    return call


async def lock_pledge(session: AsyncSession, pledge: Pledge) -> FundingCall:
    """Lock the call of ``pledge`` (deleted or not) and read both again; return the call.

    A pledge's state only changes under its call's lock, so two withdrawals (or a withdrawal
    and an answer) cannot both see it unsettled.
    """
    call = await session.get(FundingCall, pledge.funding_call_id)
    assert call is not None
    await lock_call(session, call, allow_deleted=True)
    await session.refresh(pledge)
    return call


def check_room_for(call: FundingCall, amount_minor: int) -> None:
    """Raise ``Conflict`` when a pledge would take the call's total past ``MAX_TOTAL_MINOR``."""
    if call.raised_minor + amount_minor > MAX_TOTAL_MINOR:
        raise Conflict(N_("the funding call cannot count more: its total would pass the maximum"))


async def _recompute(session: AsyncSession, call: FundingCall) -> None:
    """Set the call's totals to the sums of its accepted pledges, by sector."""
    rows = (
        await session.execute(
            select(Pledge.sector, func.sum(Pledge.amount_minor))
            .where(Pledge.funding_call_id == call.id, Pledge.state == PledgeState.accepted)
            .group_by(Pledge.sector)
        )
    ).all()
    by_sector = {str(sector): int(total or 0) for sector, total in rows}
    call.raised_by_sector = by_sector
    call.raised_minor = sum(by_sector.values())


async def note_of_call(
    session: AsyncSession, urls: Urls, call: FundingCall, *, today: date, actor: Actor | None = None
) -> dict[str, Any]:
    """Return the call's Note as of ``today``."""
    actor = actor or await session.get(Actor, call.actor_id)
    assert actor is not None
    project = await session.get(Project, call.project_id) if call.project_id else None
    status = effective_status(call, today)
    return funding_call_note(call, actor, urls, status=status, project=project)


async def publish_change(
    session: AsyncSession,
    urls: Urls,
    owner: Actor,
    call: FundingCall,
    change: Change,
    *,
    today: date,
) -> None:
    """Recompute and store the call's figures and status, record the change in its history
    and publish one ``Update{Note}`` to followers; the caller holds the lock and commits. A
    draft's changes are only stored: nobody has heard of it yet, and its history starts when
    it is published."""
    await _recompute(session, call)
    call.status = effective_status(call, today)
    call.updated_at = next_updated(call.updated_at)
    if call.status == FundingStatus.draft:
        await session.flush()
        return
    await record_change(session, call, change)
    note = await note_of_call(session, urls, call, today=today, actor=owner)
    await publish_note(session, urls, owner, "Update", note)
    await session.flush()
