"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlmodel import col

from federation.webfinger import parse_resource, webfinger_document
from schemas.nodeinfo import nodeinfo_document, nodeinfo_links
from server import __version__
from server.clock import utcnow
from server.domain.actors import instance_username
from server.http.deps import SessionDep, StateDep
from server.http.responses import JRDResponse
from server.publishing.outbox import dump
from server.storage.models import Activity, Actor, FundingCall, Project

router = APIRouter(include_in_schema=False)

_NODEINFO_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{v}#"'


@router.get("/.well-known/webfinger")
async def webfinger(
    state: StateDep,
    session: SessionDep,
    resource: Annotated[str | None, Query()] = None,
) -> Response:
    """Resolve ``acct:user@domain`` or an actor/profile URL to the actor (404 unknown, 400 bad)."""
    if not resource:
        raise HTTPException(400, "the resource parameter is required")
    try:
        kind, value = parse_resource(resource, local_domain=state.domain, base_url=state.urls.base)
    except ValueError as exc:
        raise HTTPException(400, f"invalid resource: {exc}") from None
    except LookupError:
        raise HTTPException(404, "unknown resource") from None
    query = select(Actor).where(Actor.is_local == True)
    if kind == "acct":  # usernames are lower-case; Mastodon's lookups ignore case
        query = query.where(Actor.username == value.lower())
    else:
        query = query.where((Actor.uri == value) | (Actor.url == value))
    actor = (await session.execute(query)).scalars().first()
    if actor is None:
        raise HTTPException(404, "unknown resource")
    if actor.deleted_at is not None:  # Mastodon deletes a known account on a 410
        raise HTTPException(410, "this actor was deleted")
    document = webfinger_document(
        subject=f"acct:{actor.username}@{state.domain}",
        actor_uri=actor.uri,
        profile_url=actor.url or actor.uri,
        subscribe_template=None,
    )
    return JRDResponse(
        dump(document),
        headers={
            "Cache-Control": "max-age=259200, public",
            "Access-Control-Allow-Origin": "*",
        },
    )


@router.get("/.well-known/host-meta")
async def host_meta(state: StateDep) -> Response:
    """Return the XRD pointing at WebFinger (Mastodon's fallback when WebFinger 404s)."""
    template = f"{state.urls.base}/.well-known/webfinger?resource={{uri}}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(body, media_type="application/xrd+xml")


@router.get("/.well-known/nodeinfo")
async def nodeinfo_discovery(state: StateDep) -> JSONResponse:
    """Link NodeInfo 2.0 and 2.1."""
    return JSONResponse(nodeinfo_links(state.urls.base))


@router.get("/nodeinfo/{version}")
async def nodeinfo(version: str, state: StateDep, session: SessionDep) -> Response:
    """Return the NodeInfo document with user and post counts."""
    if version not in ("2.0", "2.1"):
        raise HTTPException(404, "unknown NodeInfo version")
    people = (
        select(func.count())
        .select_from(Actor)
        .where(
            Actor.is_local == True,
            Actor.username != instance_username(state.urls),
        )
    )
    users = (await session.execute(people)).scalar_one()

    async def active(days: int) -> int:
        since = utcnow() - timedelta(days=days)
        query = select(func.count(func.distinct(Activity.local_actor_id))).where(
            Activity.direction == "out", col(Activity.created_at) >= since
        )
        return int((await session.execute(query)).scalar_one())

    posts = 0
    for table in (Project, FundingCall):
        query = (
            select(func.count())
            .select_from(table)
            .where(
                table.is_local == True,
                table.deleted_at == None,
            )
        )
        posts += int((await session.execute(query)).scalar_one())
    document = nodeinfo_document(
        version=version,
        software_version=__version__,
        users=int(users),
        active_month=await active(30),
        active_halfyear=await active(180),
        local_posts=posts,
        node_name=state.settings.instance_name,
        node_description=state.settings.instance_description,
    )
    return Response(dump(document), media_type=_NODEINFO_PROFILE.format(v=version))
