"""What admins (and owning actors) see of deliveries, and retrying the failed ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.states import DeliveryState
from server.clock import utcnow
from server.storage.db import affected
from server.storage.models import Activity, Delivery
from server.storage.paging import keyset_page

__all__ = ["DeliveryPublic", "list_deliveries", "retry_deliveries"]

_RETRYABLE = (DeliveryState.failed, DeliveryState.abandoned)


class DeliveryPublic(BaseModel):
    id: int
    activity: str
    activity_type: str
    inbox: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    updated_at: datetime


def _filtered(
    query: Select[tuple[Delivery, str, str]],
    *,
    activity: str | None,
    state: str | None,
    actor_id: int | None,
) -> Select[tuple[Delivery, str, str]]:
    if activity is not None:
        query = query.where(Activity.uri == activity)
    if state is not None:
        query = query.where(Delivery.state == state)
    if actor_id is not None:
        query = query.where(Activity.local_actor_id == actor_id)
    return query


async def list_deliveries(
    session: AsyncSession,
    *,
    activity: str | None = None,
    state: str | None = None,
    actor_id: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> tuple[list[DeliveryPublic], str | None]:
    """Return one page of deliveries, newest first, and the next cursor; ``actor_id``
    restricts to one sender's activities."""
    query = select(Delivery, Activity.uri, Activity.type).join(
        Activity, Activity.id == Delivery.activity_id
    )
    query = _filtered(query, activity=activity, state=state, actor_id=actor_id)
    return await keyset_page(
        session, query, key=col(Delivery.id), cursor=cursor, limit=limit, item=_public
    )


def _public(row: Any) -> DeliveryPublic:
    delivery, uri, kind = row[:3]
    return DeliveryPublic(
        id=delivery.id or 0,
        activity=uri,
        activity_type=kind,
        inbox=delivery.inbox_uri,
        state=delivery.state,
        attempts=delivery.attempts,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        next_attempt_at=delivery.next_attempt_at,
        updated_at=delivery.updated_at,
    )


async def retry_deliveries(
    session: AsyncSession,
    *,
    delivery_id: int | None = None,
    activity: str | None = None,
    actor_id: int | None = None,
) -> int:
    """Put failed or abandoned deliveries back in the queue, due now; return how many."""
    query = (
        select(Delivery.id)
        .join(Activity, Activity.id == Delivery.activity_id)
        .where(col(Delivery.state).in_(_RETRYABLE))
    )
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    query = _filtered(query, activity=activity, state=None, actor_id=actor_id)
    now = utcnow()
    result = await session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(query.scalar_subquery()))
        .values(
            state=DeliveryState.pending,
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return affected(result)
