"""JSON API: follows of the token's actor, its followers and follow requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from schemas.states import FollowState
from server.domain.access import Role, acting_actor
from server.domain.follows import (
    accept_follow_request,
    reject_follow_request,
    start_follow,
    stop_follow,
)
from server.domain.lookup import resolve_actor
from server.errors import NotFound
from server.http.deps import Reader, RowId, SessionDep, StateDep, Writer
from server.http.jsonroute import StorableJSONRoute
from server.http.paging import Limit, link_to_next
from server.storage.db import MAX_ID
from server.storage.models import Actor, Follow
from server.storage.paging import keyset_page

router = APIRouter(prefix="/api/v1", tags=["follows"], route_class=StorableJSONRoute)


class FollowCreate(BaseModel):
    target: str = Field(min_length=3, max_length=2048, description="user@host or an actor URI")


class FollowPublic(BaseModel):
    id: int
    state: str
    actor: str
    uri: str


@dataclass(frozen=True)
class _Page:
    request: Request
    response: Response
    cursor: int | None
    limit: int


def _page(
    request: Request,
    response: Response,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 200,
) -> _Page:
    """``?cursor=`` (the last id of the page before) and ``?limit=``."""
    return _Page(request, response, cursor, limit)


Page = Annotated[_Page, Depends(_page)]


async def _list(
    session: SessionDep, page: _Page, mine: object, other: object, state: str | None
) -> list[FollowPublic]:
    """One page of follows, newest first; ``Link`` names the next one."""
    query = select(Follow, Actor.uri).join(Actor, Actor.id == other).where(mine)
    if state is not None:
        query = query.where(Follow.state == state)
    follows, after = await keyset_page(
        session,
        query,
        key=col(Follow.id),
        cursor=page.cursor,
        limit=page.limit,
        item=lambda row: FollowPublic(
            id=row[0].id or 0, state=row[0].state, actor=row[1], uri=row[0].uri
        ),
    )
    link_to_next(page.request, page.response, after)
    return follows


@router.post("/follows", status_code=202)
async def post_follow(
    body: FollowCreate, caller: Writer, state: StateDep, session: SessionDep
) -> FollowPublic:
    """Follow a local or remote actor; pending until the remote side accepts."""
    actor = await acting_actor(session, caller, role=Role.owner)
    target = await resolve_actor(session, state.finder, body.target)
    follow = await start_follow(session, state.urls, actor, target)
    state.federation.wake_delivery()
    return FollowPublic(id=follow.id or 0, state=follow.state, actor=target.uri, uri=follow.uri)


@router.get("/follows")
async def get_follows(caller: Reader, session: SessionDep, page: Page) -> list[FollowPublic]:
    """Whom the token's actor follows (or asked to)."""
    actor = await acting_actor(session, caller)
    return await _list(session, page, Follow.follower_id == actor.id, Follow.followed_id, None)


@router.delete("/follows/{follow_id}", status_code=204)
async def delete_follow(
    follow_id: RowId, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Unfollow (sends ``Undo{Follow}`` to a remote actor)."""
    actor = await acting_actor(session, caller, role=Role.owner)
    follow = await session.get(Follow, follow_id)
    if follow is None or follow.follower_id != actor.id:
        raise NotFound("no such follow")
    await stop_follow(session, state.urls, follow)
    state.federation.wake_delivery()


@router.get("/followers")
async def get_followers(caller: Reader, session: SessionDep, page: Page) -> list[FollowPublic]:
    """Accepted followers of the token's actor."""
    actor = await acting_actor(session, caller)
    return await _list(
        session, page, Follow.followed_id == actor.id, Follow.follower_id, FollowState.accepted
    )


@router.get("/follow-requests")
async def get_follow_requests(
    caller: Reader, session: SessionDep, page: Page
) -> list[FollowPublic]:
    """Pending requests to a locked actor."""
    actor = await acting_actor(session, caller)
    return await _list(
        session, page, Follow.followed_id == actor.id, Follow.follower_id, FollowState.pending
    )


@router.post("/follow-requests/{follow_id}/accept")
async def accept_request(
    follow_id: RowId, caller: Writer, state: StateDep, session: SessionDep
) -> FollowPublic:
    """Approve a pending follow request (sends Accept)."""
    actor = await acting_actor(session, caller)
    follow = await accept_follow_request(session, state.urls, actor, follow_id)
    state.federation.wake_delivery()
    follower = await session.get(Actor, follow.follower_id)
    return FollowPublic(
        id=follow_id, state=follow.state, actor=follower.uri if follower else "", uri=follow.uri
    )


@router.post("/follow-requests/{follow_id}/reject", status_code=204)
async def reject_request(
    follow_id: RowId, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Refuse a pending follow request (sends Reject)."""
    actor = await acting_actor(session, caller)
    await reject_follow_request(session, state.urls, actor, follow_id)
    state.federation.wake_delivery()
