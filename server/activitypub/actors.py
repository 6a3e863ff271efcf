"""ActivityPub documents: actors, the instance actor and their collections."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from schemas.states import FollowState
from server.activitypub.paged import collection_or_page
from server.domain.actors import ensure_instance_actor, follow_counts, get_local_actor
from server.domain.render import actor_to_ap, key_only
from server.http.deps import SessionDep, StateDep, wants_as2
from server.http.doccache import actor_key
from server.http.pagecache import keep_page
from server.http.responses import AS2Response, actor_headers
from server.http.signatures import authorized_fetch_refusal, require_signed_get
from server.pages.profiles import render_profile
from server.publishing.outbox import dump
from server.storage.models import Activity, Actor, Follow, Project

router = APIRouter(include_in_schema=False)
#: Documents that authorized-fetch mode protects (the instance actor never is).
signed = APIRouter(include_in_schema=False, dependencies=[Depends(require_signed_get)])


@router.get("/actor")
async def instance_actor(state: StateDep, session: SessionDep) -> Response:
    """The instance actor; always served unsigned so peers can verify our signed GETs."""
    actor = await ensure_instance_actor(session, state.urls, state.domain)
    return AS2Response(dump(actor_to_ap(actor, state.urls)))


@router.get("/actors/{username}")
async def actor(username: str, request: Request, state: StateDep) -> Response:
    """The actor as AS2 or, for browsers, its profile page (same URL, ``Vary: Accept``).

    The AS2 bytes go to the document cache, from which ``server.frontdoor`` serves them. In
    authorized-fetch mode a GET without a valid signature gets the key-only document, as on
    Mastodon: a server that fetches keys unsigned can still verify what the actor sends.
    """
    async with state.db.session() as session:
        found = await get_local_actor(session, username)
        if not wants_as2(request):
            page = await render_profile(
                request, state.settings, session, found, today=state.clock.today()
            )
            return keep_page(request, state.documents, page)
    document = actor_to_ap(found, state.urls)
    headers = actor_headers(state.settings.authorized_fetch)
    if await authorized_fetch_refusal(request, state) is not None:
        return AS2Response(dump(key_only(document)), headers=headers)
    body = dump(document)
    state.documents.put(actor_key(username), body)
    return AS2Response(body, headers=headers)


@signed.get("/actors/{username}/followers")
@signed.get("/actors/{username}/following")
async def follow_collection(
    username: str,
    request: Request,
    state: StateDep,
    session: SessionDep,
    page: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Accepted followers (or followed actors), newest first."""
    found = await get_local_actor(session, username)
    assert found.id is not None
    is_followers = request.url.path.endswith("/followers")
    followers, following = await follow_counts(session, found.id)
    mine = Follow.followed_id if is_followers else Follow.follower_id
    other = Follow.follower_id if is_followers else Follow.followed_id

    query = (
        select(Actor.uri)
        .join(Follow, Actor.id == other)
        .where(mine == found.id, Follow.state == FollowState.accepted)
    )
    uri = state.urls.actor_collection(username, "followers" if is_followers else "following")
    total = followers if is_followers else following
    document = await collection_or_page(
        session, uri, total=total, page=page, query=query, key=col(Follow.id)
    )
    return AS2Response(dump(document))


@signed.get("/actors/{username}/outbox")
async def outbox(
    username: str,
    state: StateDep,
    session: SessionDep,
    page: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The actor's public activities, newest first, embedded as sent."""
    found = await get_local_actor(session, username)
    public = (
        Activity.local_actor_id == found.id,
        Activity.direction == "out",
        Activity.is_public == True,
    )
    document = await collection_or_page(
        session,
        state.urls.actor_collection(username, "outbox"),
        page=page,
        query=select(Activity.body).where(*public),
        key=col(Activity.id),
        item=lambda row: _as_listed(json.loads(row[0])),
    )
    return AS2Response(dump(document))


@signed.get("/actors/{username}/featured")
async def featured(
    username: str,
    state: StateDep,
    session: SessionDep,
    page: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Pinned projects' Note ids, newest first (Mastodon reads only the first page)."""
    found = await get_local_actor(session, username)
    pinned = (
        Project.actor_id == found.id,
        Project.is_pinned == True,
        Project.deleted_at == None,
    )
    document = await collection_or_page(
        session,
        state.urls.actor_collection(username, "featured"),
        page=page,
        query=select(Project.uri).where(*pinned),
        key=col(Project.id),
    )
    return AS2Response(dump(document))


def _as_listed(document: dict[str, object]) -> dict[str, object]:
    """An activity as the outbox embeds it: without its ``@context``, unless it carries a
    proof, which was made over the ``@context`` too and holds only with it."""
    if "proof" not in document:
        document.pop("@context", None)
    return document
