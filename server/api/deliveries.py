"""JSON API: deliveries of activities (admin, or the actor that sent them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from schemas.states import DeliveryState
from server.domain.tokens import Principal
from server.errors import NotFound
from server.http.deps import BigRowId, Reader, SessionDep, StateDep, Writer
from server.http.paging import link_to_next
from server.publishing.status import DeliveryPublic, list_deliveries, retry_deliveries
from server.storage.db import MAX_BIG_ID

router = APIRouter(prefix="/api/v1", tags=["deliveries"])


class Retried(BaseModel):
    retried: int


def _scope(caller: Principal) -> int | None:
    """Admins see every delivery; an actor's token only that actor's."""
    return None if caller.is_admin else (caller.actor_id or -1)


@router.get("/deliveries")
async def get_deliveries(
    caller: Reader,
    session: SessionDep,
    request: Request,
    response: Response,
    activity: Annotated[str | None, Query(max_length=2048)] = None,
    state: DeliveryState | None = None,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_BIG_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """Each delivery's state, attempts, last status and last error, newest first; ``Link``
    names the next page."""
    deliveries, after = await list_deliveries(
        session, activity=activity, state=state, actor_id=_scope(caller), cursor=cursor, limit=limit
    )
    link_to_next(request, response, after)
    return deliveries


@router.post("/deliveries/{delivery_id}/retry")
async def retry_delivery(
    delivery_id: BigRowId, caller: Writer, state: StateDep, session: SessionDep
) -> Retried:
    """Queue a failed or abandoned delivery again (404 if there is none to retry)."""
    count = await retry_deliveries(session, delivery_id=delivery_id, actor_id=_scope(caller))
    if not count:
        raise NotFound("no failed or abandoned delivery with this id")
    state.federation.wake_delivery()
    return Retried(retried=count)


@router.post("/deliveries/retry")
async def retry_failed(
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    activity: Annotated[str | None, Query(max_length=2048)] = None,
) -> Retried:
    """Queue again every failed or abandoned delivery (of one activity when given)."""
    count = await retry_deliveries(session, activity=activity, actor_id=_scope(caller))
    state.federation.wake_delivery()
    return Retried(retried=count)
