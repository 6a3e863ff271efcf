"""JSON API: funding calls of the token's actor and the pledges recorded on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.commons import (
    FundingCallCreate,
    FundingCallHistoryPublic,
    FundingCallPublic,
    FundingCallsPublic,
    FundingCallUpdate,
    PledgeCreate,
    PledgePublic,
    PledgesPublic,
)
from schemas.states import FundingStatus
from server.domain.access import acting_actor, owner_for_change
from server.domain.funding import (
    create_funding_call,
    delete_funding_call,
    funding_call_public,
    get_funding_call,
    list_funding_calls,
    update_funding_call,
)
from server.domain.history import event_public, list_history
from server.domain.pledges import list_pledges, pledge_public, record_pledge
from server.domain.tokens import Principal
from server.http.deps import SessionDep, StateDep, Writer
from server.http.etags import json_with_etag
from server.http.idempotency import PublishingPost
from server.http.jsonroute import StorableJSONRoute
from server.storage.models import Actor, FundingCall

router = APIRouter(prefix="/api/v1", tags=["funding calls"], route_class=StorableJSONRoute)

Cursor = Annotated[str | None, Query(max_length=40)]


async def _owned(
    session: AsyncSession, caller: Principal, object_id: str
) -> tuple[Actor, FundingCall]:
    call = await get_funding_call(session, object_id)
    return await owner_for_change(session, caller, call, "funding call"), call


@router.post("/funding-calls", status_code=201, response_model=FundingCallPublic)
async def post_funding_call(body: FundingCallCreate, post: PublishingPost) -> Response:
    """Publish a funding call; followers receive a ``Create{Note}``."""

    async def create() -> FundingCallPublic:
        session, today = post.session, post.state.clock.today()
        actor = await acting_actor(session, post.caller)
        call = await create_funding_call(session, post.state.urls, actor, body, today=today)
        return await funding_call_public(session, call, today=today)

    return await post.answer(body, status_code=201, create=create)


@router.get("/funding-calls", response_model=FundingCallsPublic)
async def read_funding_calls(
    request: Request,
    state: StateDep,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=300, description="user or user@domain")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    status: FundingStatus | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    project_id: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """List live funding calls, newest first, with filters and cursor pagination (ETag)."""
    today = state.clock.today()
    rows, next_cursor = await list_funding_calls(
        session,
        local_domain=state.domain,
        today=today,
        actor=actor,
        tag=tag,
        status=status,
        q=q,
        currency=currency,
        project_id=project_id,
        cursor=cursor,
        limit=limit,
    )
    items = [await funding_call_public(session, c, today=today) for c in rows]
    return json_with_etag(request, FundingCallsPublic(items=items, next_cursor=next_cursor))


@router.get("/funding-calls/{object_id}", response_model=FundingCallPublic)
async def read_funding_call(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """Read one funding call with its progress (410 once deleted; ETag)."""
    call = await get_funding_call(session, object_id)
    return json_with_etag(
        request, await funding_call_public(session, call, today=state.clock.today())
    )


@router.patch("/funding-calls/{object_id}", response_model=FundingCallPublic)
async def patch_funding_call(
    object_id: str, body: FundingCallUpdate, caller: Writer, state: StateDep, session: SessionDep
) -> FundingCallPublic:
    """Change or cancel (``{"status": "cancelled"}``) a call; followers receive an ``Update``."""
    actor, call = await _owned(session, caller, object_id)
    today = state.clock.today()
    call = await update_funding_call(session, state.urls, actor, call, body, today=today)
    public = await funding_call_public(session, call, today=today)
    await session.commit()
    state.federation.wake_delivery()
    return public


@router.delete("/funding-calls/{object_id}", status_code=204)
async def remove_funding_call(
    object_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Delete a call; followers receive a ``Delete{Tombstone}``, the id answers 410."""
    actor, call = await _owned(session, caller, object_id)
    await delete_funding_call(session, state.urls, actor, call)
    await session.commit()
    state.federation.wake_delivery()


@router.post("/funding-calls/{object_id}/pledges", status_code=201, response_model=PledgePublic)
async def post_pledge(object_id: str, body: PledgeCreate, post: PublishingPost) -> Response:
    """Record a pledge for a funder outside the fediverse (owner or admin), marked as recorded
    by the call's owner; followers receive the call's ``Update``."""

    async def create() -> PledgePublic:
        session = post.session
        owner, call = await _owned(session, post.caller, object_id)
        pledge = await record_pledge(
            session,
            post.state.urls,
            owner,
            call,
            body,
            caller_actor_id=post.caller.actor_id,
            today=post.state.clock.today(),
        )
        return await pledge_public(session, pledge)

    return await post.answer(body, status_code=201, create=create)


@dataclass(frozen=True)
class CallList:
    """What reading a page of a call's pledges or history takes: the call's id, a session,
    the cursor and the page size."""

    object_id: str
    session: AsyncSession
    cursor: str | None
    limit: int


async def _call_list(
    object_id: str,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CallList:
    return CallList(object_id, session, cursor, limit)


CallListDep = Annotated[CallList, Depends(_call_list)]


@router.get("/funding-calls/{object_id}/pledges", response_model=PledgesPublic)
async def read_pledges(request: Request, page: CallListDep) -> Response:
    """List a call's pledges, newest first: accepted ones, and withdrawn ones, which are never
    counted (ETag)."""
    call = await get_funding_call(page.session, page.object_id)
    rows, after = await list_pledges(page.session, call, cursor=page.cursor, limit=page.limit)
    items = [await pledge_public(page.session, p) for p in rows]
    return json_with_etag(request, PledgesPublic(items=items, next_cursor=after))


@router.get("/funding-calls/{object_id}/history", response_model=FundingCallHistoryPublic)
async def read_history(request: Request, page: CallListDep) -> Response:
    """List every change to a call's figures or status, newest first: who, when, and the
    figures after it; still readable once the call is deleted (ETag). History rows are never
    edited nor deleted."""
    call = await get_funding_call(page.session, page.object_id, allow_deleted=True)
    rows, after = await list_history(page.session, call, cursor=page.cursor, limit=page.limit)
    items = [await event_public(page.session, event) for event in rows]
    return json_with_etag(request, FundingCallHistoryPublic(items=items, next_cursor=after))
