"""Follows in both directions: incoming Follow/Undo, outgoing follows, Accept and Reject."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import get_id
from schemas.states import DomainBlock, FollowState
from server.clock import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.i18n import N_
from server.publishing.outbox import new_activity, publish
from server.storage.db import affected
from server.storage.domains import block_rules, rule_for
from server.storage.models import Activity, Actor, Follow
from server.urls import Urls, new_id

__all__ = [
    "accept_follow_request",
    "handle_accept",
    "handle_follow",
    "handle_reject",
    "handle_undo_follow",
    "reject_follow_request",
    "start_follow",
    "stop_follow",
]


async def _actor_by_uri(session: AsyncSession, uri: str | None) -> Actor | None:
    if uri is None:
        return None
    return (await session.execute(select(Actor).where(Actor.uri == uri))).scalar_one_or_none()


async def _received_follow(session: AsyncSession, follow: Follow) -> Any:
    """Return the Follow as received (Accept/Reject must embed it), or its bare id."""
    body = await session.scalar(select(Activity.body).where(Activity.uri == follow.uri))
    if body is None:
        return follow.uri
    document = json.loads(body)
    document.pop("@context", None)
    return document


async def _answer(
    session: AsyncSession, urls: Urls, followed: Actor, follower: Actor, follow: Any, kind: str
) -> None:
    assert follower.inbox_uri
    await publish(
        session, followed, new_activity(urls, kind, followed, follow), inboxes=[follower.inbox_uri]
    )


async def handle_follow(session: AsyncSession, urls: Urls, activity: dict[str, Any]) -> str:
    """Store a remote follower and answer Accept (or Reject); return what was done."""
    follower = await _actor_by_uri(session, get_id(activity.get("actor")))
    followed = await _actor_by_uri(session, get_id(activity.get("object")))
    if (
        follower is None
        or followed is None
        or not followed.is_local
        or followed.deleted_at is not None
        or follower.deleted_at is not None
    ):
        return "ignored"
    document = {k: v for k, v in activity.items() if k != "@context"}
    block = rule_for(await block_rules(session, [follower.domain]), follower.domain)
    if (
        followed.suspended_at is not None
        or followed.type == "Application"
        or block == DomainBlock.reject
    ):
        await _answer(session, urls, followed, follower, document, "Reject")
        await session.commit()
        return "rejected"
    assert follower.id is not None and followed.id is not None
    existing = (
        await session.execute(
            select(Follow).where(
                Follow.follower_id == follower.id, Follow.followed_id == followed.id
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = Follow(
            uri=str(activity["id"]),
            follower_id=follower.id,
            followed_id=followed.id,
            state=FollowState.pending,
        )
        session.add(existing)
    else:
        existing.uri = str(activity["id"])
    needs_approval = followed.manually_approves_followers or block == DomainBlock.silence
    if not needs_approval or existing.state == FollowState.accepted:
        existing.state = FollowState.accepted
        existing.accepted_at = existing.accepted_at or utcnow()
        await _answer(session, urls, followed, follower, document, "Accept")
    await session.commit()
    return "accepted" if existing.state == FollowState.accepted else "pending"


async def handle_undo_follow(session: AsyncSession, actor_uri: str, follow: Any) -> str:
    """Remove the follow an ``Undo{Follow}`` names, embedded or by id, if the signer made it."""
    follower = await _actor_by_uri(session, actor_uri)
    if follower is None:
        return "ignored"
    query = delete(Follow).where(Follow.follower_id == follower.id)
    follow_uri = get_id(follow)
    if isinstance(follow, dict) and follow.get("object"):
        followed = await _actor_by_uri(session, get_id(follow.get("object")))
        if followed is not None:
            query = query.where((Follow.uri == follow_uri) | (Follow.followed_id == followed.id))
        else:
            query = query.where(Follow.uri == follow_uri)
    else:
        query = query.where(Follow.uri == follow_uri)
    result = await session.execute(query)
    await session.commit()
    return "removed" if affected(result) else "ignored"


async def _our_follow(session: AsyncSession, signer_uri: str, follow: Any) -> Follow | None:
    """Find our outgoing follow an Accept/Reject refers to; the signer must be its target."""
    followed = await _actor_by_uri(session, signer_uri)
    if followed is None:
        return None
    query = select(Follow).where(Follow.followed_id == followed.id)
    follow_uri = get_id(follow)
    if follow_uri is not None:
        found = (await session.execute(query.where(Follow.uri == follow_uri))).scalar_one_or_none()
        if found is not None:
            return found
    if isinstance(follow, dict) and follow.get("type") == "Follow":
        follower = await _actor_by_uri(session, get_id(follow.get("actor")))
        if follower is not None and follower.is_local:
            return (
                await session.execute(query.where(Follow.follower_id == follower.id))
            ).scalar_one_or_none()
    return None


async def handle_accept(session: AsyncSession, signer_uri: str, follow: Any) -> str:
    """Mark our follow accepted when its target accepts it."""
    found = await _our_follow(session, signer_uri, follow)
    if found is None:
        return "ignored"
    found.state = FollowState.accepted
    found.accepted_at = utcnow()
    await session.commit()
    return "accepted"


async def handle_reject(session: AsyncSession, signer_uri: str, follow: Any) -> str:
    """Drop our follow (pending or not) when its target rejects it."""
    found = await _our_follow(session, signer_uri, follow)
    if found is None:
        return "ignored"
    await session.delete(found)
    await session.commit()
    return "rejected"


async def start_follow(session: AsyncSession, urls: Urls, follower: Actor, target: Actor) -> Follow:
    """Follow ``target``: at once for a local unlocked actor, else pending until its Accept.

    Raises ``Invalid`` for self-follows and ``Conflict`` when already following.
    """
    assert follower.id is not None and target.id is not None
    if target.id == follower.id or target.type == "Application":
        raise Invalid(N_("an actor cannot follow itself or the instance actor"))
    existing = await session.scalar(
        select(Follow.id).where(Follow.follower_id == follower.id, Follow.followed_id == target.id)
    )
    if existing is not None:
        raise Conflict(N_("already following (or requested)"))
    follow = Follow(uri=urls.follow(new_id()), follower_id=follower.id, followed_id=target.id)
    session.add(follow)
    if target.is_local:
        if not target.manually_approves_followers and target.suspended_at is None:
            follow.state = FollowState.accepted
            follow.accepted_at = utcnow()
    else:
        assert target.inbox_uri
        document = new_activity(urls, "Follow", follower, target.uri)
        document["id"] = follow.uri
        await publish(session, follower, document, inboxes=[target.inbox_uri])
    await session.commit()
    return follow


async def stop_follow(session: AsyncSession, urls: Urls, follow: Follow) -> None:
    """Unfollow: delete the follow and, for a remote target, send ``Undo{Follow}``."""
    follower = await session.get(Actor, follow.follower_id)
    target = await session.get(Actor, follow.followed_id)
    if follower is None or target is None:
        raise NotFound(N_("follow not found"))
    if not target.is_local and target.inbox_uri:
        embedded = {"id": follow.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
        undo = new_activity(urls, "Undo", follower, embedded)
        await publish(session, follower, undo, inboxes=[target.inbox_uri])
    await session.delete(follow)
    await session.commit()


async def _request(session: AsyncSession, followed: Actor, follow_id: int) -> tuple[Follow, Actor]:
    follow = await session.get(Follow, follow_id)
    if follow is None or follow.followed_id != followed.id or follow.state != FollowState.pending:
        raise NotFound(N_("no such pending follow request"))
    follower = await session.get(Actor, follow.follower_id)
    assert follower is not None
    return follow, follower


async def accept_follow_request(
    session: AsyncSession, urls: Urls, followed: Actor, follow_id: int
) -> Follow:
    """Approve a pending request to a locked actor (sends Accept to a remote follower)."""
    follow, follower = await _request(session, followed, follow_id)
    follow.state = FollowState.accepted
    follow.accepted_at = utcnow()
    if not follower.is_local:
        await _answer(
            session, urls, followed, follower, await _received_follow(session, follow), "Accept"
        )
    await session.commit()
    return follow


async def reject_follow_request(
    session: AsyncSession, urls: Urls, followed: Actor, follow_id: int
) -> None:
    """Refuse a pending request (sends Reject to a remote follower)."""
    follow, follower = await _request(session, followed, follow_id)
    if not follower.is_local:
        await _answer(
            session, urls, followed, follower, await _received_follow(session, follow), "Reject"
        )
    await session.delete(follow)
    await session.commit()
