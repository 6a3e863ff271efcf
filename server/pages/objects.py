"""HTML pages of projects and funding calls (same URLs as their Notes, negotiated on Accept).

Pages work without JavaScript: progress bars are plain HTML/CSS, every figure is also text.
They carry OpenGraph tags, ``fediverse:creator`` and the AS2 alternate link, so Mastodon builds
a preview card and can find the Note from the page.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.domain.funding import effective_status, funding_calls_of
from server.domain.interactions import interaction_counts, replies_of
from server.domain.money import format_money
from server.domain.notes import SECTOR_LABELS, figures, long_date
from server.domain.pledges import funder_of, list_pledges
from server.pages.templating import render_page
from server.settings import Settings
from server.storage.models import Actor, FundingCall, Project

__all__ = ["render_funding_call_page", "render_project_page"]


def _alternate(response: Response, uri: str) -> Response:
    response.headers["Link"] = f'<{uri}>; rel="alternate"; type="application/activity+json"'
    return response


async def render_project_page(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    project: Project,
    actor: Actor,
    *,
    today: date,
) -> Response:
    """Render a project with its funding calls."""
    calls = await funding_calls_of(session, project_id=project.id)
    context = {
        "project": project,
        "actor": actor,
        "calls": calls,
        "call_figures": figures,
        "call_status": lambda call: effective_status(call, today),
        "counts": await interaction_counts(session, project.uri),
        "replies": await replies_of(session, project.uri),
    }
    return _alternate(render_page(request, settings, "project.html", context), project.uri)


async def render_funding_call_page(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    call: FundingCall,
    actor: Actor,
    *,
    today: date,
) -> Response:
    """Render a funding call: figures, a bar per sector and in total, and its pledges."""
    project = await session.get(Project, call.project_id) if call.project_id else None
    rows, _ = await list_pledges(session, call, limit=200)
    pledges = []
    for pledge in rows:
        pledger, name = await funder_of(session, pledge)
        pledges.append(
            {
                "pledge": pledge,
                "pledger": pledger,
                "name": name,
                "amount": format_money(pledge.amount_minor, pledge.currency),
            }
        )
    shown = figures(call)
    context = {
        "call": call,
        "actor": actor,
        "project": project if project is not None and project.deleted_at is None else None,
        "status": effective_status(call, today),
        "figures": shown,
        "deadline": long_date(call.deadline),
        "pledges": pledges,
        "sector_labels": SECTOR_LABELS,
        "description": f"{call.summary} — {shown.line}" if call.summary else shown.line,
        "counts": await interaction_counts(session, call.uri),
        "replies": await replies_of(session, call.uri),
    }
    return _alternate(render_page(request, settings, "funding_call.html", context), call.uri)
