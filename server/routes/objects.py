"""Object URLs: projects and activities, as AS2 (or 410 Tombstone) or as HTML pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from server.deps import SessionDep, StateDep, wants_as2
from server.errors import NotFound
from server.models import Activity, Actor
from server.notes import project_note, tombstone
from server.pages import render_page
from server.projects import get_project
from server.render import dump
from server.responses import AS2Response
from server.signatures import require_signed_get

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_signed_get)])


@router.get("/projects/{object_id}")
async def project(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A project's Note (or Tombstone) for peers, its page for people."""
    found = await get_project(session, object_id, allow_deleted=True)
    actor = await session.get(Actor, found.actor_id)
    if actor is None or not found.is_local:
        raise NotFound(f"no local project {object_id!r}")
    if found.deleted_at is not None:
        return AS2Response(dump(tombstone(found.uri, found.deleted_at)), status_code=410)
    if wants_as2(request):
        return AS2Response(dump(project_note(found, actor, state.urls)))
    response = render_page(request, state, "project.html", {"project": found, "actor": actor})
    response.headers["Link"] = f'<{found.uri}>; rel="alternate"; type="application/activity+json"'
    return response


@router.get("/activities/{object_id}")
async def activity(object_id: str, session: SessionDep) -> Response:
    """A public activity we sent, as the exact bytes that were delivered."""
    body = await session.scalar(
        select(Activity.body).where(
            Activity.id == object_id, Activity.direction == "out", Activity.is_public == True
        )
    )
    if body is None:
        raise NotFound(f"no public activity {object_id!r}")
    return AS2Response(body)
