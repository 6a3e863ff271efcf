"""Jinja2 environment for the HTML pages (autoescaped; only sanitised HTML is marked safe)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server import __version__
from server.domain.actors import follow_counts, region_label
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.labels import KIND_LABELS
from server.domain.notes import figures
from server.domain.projects import projects_of
from server.settings import Settings
from server.storage.models import Actor

__all__ = ["render_page", "render_profile"]

_templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render_page(
    request: Request,
    settings: Settings,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    """Render a template with the instance-wide context; AS2 is linked via ``Link`` headers."""
    full = {
        "instance_name": settings.instance_name,
        "instance_description": settings.instance_description,
        "version": __version__,
        "domain": settings.domain,
        **context,
    }
    response = _templates.TemplateResponse(request, name, full, status_code=status)
    response.headers["Vary"] = "Accept"
    return response


async def render_profile(
    request: Request, settings: Settings, session: AsyncSession, actor: Actor, *, today: date
) -> Response:
    """Render an actor's profile page (served at ``/@name`` and, for browsers, at its id)."""
    assert actor.id is not None
    followers, following = await follow_counts(session, actor.id)
    context = {
        "actor": actor,
        "kind_label": KIND_LABELS.get(actor.kind or "", actor.type),
        "region": region_label(actor.region, language=actor.language),
        "feed_url": f"/feeds/actors/{actor.username}.atom",
        "followers": followers,
        "following": following,
        "projects": await projects_of(session, actor.id),
        "calls": await funding_calls_of(session, actor_id=actor.id),
        "call_figures": lambda call: figures(call, language=settings.default_language),
        "call_status": lambda call: effective_status(call, today),
    }
    response = render_page(request, settings, "profile.html", context)
    response.headers["Link"] = f'<{actor.uri}>; rel="alternate"; type="application/activity+json"'
    return response
