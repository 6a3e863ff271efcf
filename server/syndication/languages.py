"""The language of a badge or a preview picture: one image for every reader of a README or
of a Mastodon card, so never the browser's language."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from server.i18n import LANGUAGES, language_of
from server.storage.models import Actor

__all__ = ["picture_language"]


async def picture_language(request: Request, session: AsyncSession, actor_id: int) -> str:
    """Return ``?lang=`` when it names a language (the page showing the picture adds its
    own), else the language of the actor who publishes the call or project."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    actor = await session.get(Actor, actor_id)
    return language_of(actor.language if actor is not None else None)
