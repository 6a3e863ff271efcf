"""Follows (follow and unfollow by handle, requests, lists) and the delivery state of what the
actor published, with retry."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
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
from server.errors import Forbidden, NotFound, ServiceError
from server.http.deps import RowId, SessionDep
from server.i18n import N_
from server.publishing.status import list_deliveries, retry_deliveries
from server.storage.db import MAX_BIG_ID
from server.storage.models import Actor, Follow
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.visitors import Member, MemberDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)


async def _follows_page(
    member: Member, session: SessionDep, errors: Errors, handle: str = ""
) -> Response:
    actor_id = member.actor.id

    async def listed(mine: object, other: object, state: str | None) -> list[tuple[Follow, Actor]]:
        query = (
            select(Follow, Actor)
            .join(Actor, Actor.id == other)
            .where(mine)
            .order_by(col(Follow.id).desc())
            .limit(200)
        )
        if state is not None:
            query = query.where(Follow.state == state)
        return [(f, a) for f, a in (await session.execute(query)).all()]

    context = {
        "following": await listed(Follow.follower_id == actor_id, Follow.followed_id, None),
        "followers": await listed(
            Follow.followed_id == actor_id, Follow.follower_id, FollowState.accepted
        ),
        "requests": await listed(
            Follow.followed_id == actor_id, Follow.follower_id, FollowState.pending
        ),
        "errors": errors,
        "handle": handle,
    }
    return member.page("follows.html", context, status=422 if errors else 200)


@router.get("/app/@{username}/follows")
async def follows(member: MemberDep, session: SessionDep) -> Response:
    """Whom the actor follows, its followers and the requests waiting."""
    return await _follows_page(member, session, {})


@router.post("/app/@{username}/follows")
async def follow(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Follow an actor by handle (``user@host``) or URI (owners)."""
    handle = form.get("handle", "").strip().lstrip("@")
    state = member.visitor.state
    actor = await acting_actor(session, member.principal, role=Role.owner)
    if len(handle) < 3:
        return await _follows_page(member, session, {"handle": N_("This field is required.")})
    try:
        target = await resolve_actor(session, state.finder, handle)
        await start_follow(session, state.urls, actor, target)
    except Forbidden:
        raise
    except ServiceError as error:
        return await _follows_page(member, session, {"handle": error.message}, handle)
    state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/follows")


@router.post("/app/@{username}/follows/{follow_id}/delete")
async def unfollow(
    follow_id: RowId, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Unfollow (``Undo{Follow}`` to a remote actor; owners)."""
    actor = await acting_actor(session, member.principal, role=Role.owner)
    found = await session.get(Follow, follow_id)
    if found is None or found.follower_id != actor.id:
        raise NotFound("no such follow")
    await stop_follow(session, member.visitor.state.urls, found)
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/follows")


@router.post("/app/@{username}/requests/{follow_id}/{answer}")
async def answer_request(
    follow_id: RowId, answer: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Accept or reject a follow request (``Accept``/``Reject`` to a remote follower)."""
    actor = await acting_actor(session, member.principal)
    urls = member.visitor.state.urls
    if answer == "accept":
        await accept_follow_request(session, urls, actor, follow_id)
    elif answer == "reject":
        await reject_follow_request(session, urls, actor, follow_id)
    else:
        raise NotFound("no such answer")
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/follows")


@router.get("/app/@{username}/deliveries")
async def deliveries(member: MemberDep, session: SessionDep) -> Response:
    """Each delivery of the actor's activities, newest first, with its state."""
    await acting_actor(session, member.principal)
    rows = await list_deliveries(session, actor_id=member.actor.id, limit=200)
    return member.page("deliveries.html", {"deliveries": rows})


@router.post("/app/@{username}/deliveries/{delivery_id}/retry")
async def retry(
    delivery_id: int, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Queue a failed or abandoned delivery again."""
    await acting_actor(session, member.principal)
    if not 1 <= delivery_id <= MAX_BIG_ID:
        raise NotFound("no such delivery")
    await retry_deliveries(session, delivery_id=delivery_id, actor_id=member.actor.id)
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/deliveries")
