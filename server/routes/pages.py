"""HTML pages for people: the home directory and actor profiles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from server.actors import get_local_actor
from server.deps import SessionDep, StateDep
from server.models import Actor
from server.moderation import listed_in_directory
from server.pages import render_page, render_profile

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, state: StateDep, session: SessionDep) -> Response:
    """The directory of actors."""
    query = (
        select(Actor)
        .where(Actor.type != "Application", listed_in_directory())
        .order_by(col(Actor.created_at).desc())
        .limit(100)
    )
    actors = (await session.execute(query)).scalars().all()
    return render_page(request, state, "home.html", {"actors": actors})


@router.get("/@{username}")
async def profile(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """An actor's profile page, linking its AS2 document."""
    return await render_profile(request, state, session, await get_local_actor(session, username))
