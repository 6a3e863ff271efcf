"""HTML pages of projects and funding calls (same URLs as their Notes, negotiated on Accept).

Pages work without JavaScript: progress bars are plain HTML/CSS, every figure is also text.
They carry OpenGraph tags, ``fediverse:creator`` and the AS2 alternate link, so Mastodon builds
a preview card and can find the Note from the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response

from schemas.regions import RegionError, is_region_code, normalize_region
from schemas.states import CallEventKind, PledgeState, ServiceKind
from server.domain.badges import call_badge
from server.domain.declaration_notes import SERVICE_LABELS
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.history import list_history
from server.domain.interactions import interaction_counts, replies_of
from server.domain.money import format_money
from server.domain.notes import SECTOR_LABELS, figures, long_date
from server.domain.pledges import accepted_count_and_sum, funders_of, list_pledges
from server.domain.providers import list_providers, usage_line, usage_summary, users_of
from server.pages.templating import KIND_LABELS, render_page
from server.settings import Settings
from server.storage.models import Actor, FundingCall, Pledge, Project
from server.urls import Urls

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
    """Render a project with its funding calls, who uses it and who serves it (in the region
    of ``?region=``, else of its owner), and its badge to embed."""
    urls = Urls(settings.base_url)
    calls = await funding_calls_of(session, project_id=project.id)
    region = _region_of(request.query_params.get("region"), actor)
    service = request.query_params.get("service")
    service = service if service in set(ServiceKind) else None
    summary = await usage_summary(session, project.id, region=region)
    query = {
        k: v for k, v in (("project", project.id), ("region", region), ("service", service)) if v
    }
    context = {
        "project": project,
        "actor": actor,
        "calls": calls,
        "usage": usage_line(summary),
        "region": region,
        "service": service,
        "services": SERVICE_LABELS["en"],
        "users": await users_of(session, project.id),
        "providers": await list_providers(
            session, project_id=project.id, area=region, service=service, limit=100
        ),
        "kind_labels": KIND_LABELS,
        "base_url": settings.base_url,
        "providers_csv": "/api/v1/providers?" + urlencode(query | {"format": "csv"}),
        "providers_json": "/api/v1/providers?" + urlencode(query),
        "feed_url": urls.url(f"/feeds/projects/{project.id}/calls.atom"),
        "manifest_url": urls.funding_manifest(project.id),
        "page_url": project.url or project.uri,
        "badge_url": urls.badge("projects", project.id),
        "badge_alt": f"{project.name}: {usage_line(summary)}",
        "call_figures": figures,
        "call_status": lambda call: effective_status(call, today),
        "counts": await interaction_counts(session, project.uri),
        "replies": await replies_of(session, project.uri),
    }
    return _alternate(render_page(request, settings, "project.html", context), project.uri)


#: How many pledges of each kind a call's page lists; older accepted ones are summed in a line.
PAGE_PLEDGES = 100

#: What each kind of history row says on a call's page.
_EVENT_LABELS = {
    CallEventKind.history_started: "Figures when this history began",
    CallEventKind.created: "Call opened",
    CallEventKind.pledged: "Pledge",
    CallEventKind.withdrawn: "Pledge withdrawn",
    CallEventKind.edited: "Goal or deadline changed",
    CallEventKind.cancelled: "Call cancelled",
    CallEventKind.closed: "Deadline passed",
    CallEventKind.updated_remotely: "Updated by its server",
}


async def _pledge_lines(session: AsyncSession, pledges: list[Pledge]) -> list[dict[str, Any]]:
    """The pledges as people read them: funder and amount (their actors read at once)."""
    return [
        {
            "pledge": pledge,
            "pledger": pledger,
            "name": name,
            "amount": format_money(pledge.amount_minor, pledge.currency),
        }
        for pledge, (pledger, name) in zip(pledges, await funders_of(session, pledges), strict=True)
    ]


async def _history_lines(session: AsyncSession, call: FundingCall) -> list[dict[str, Any]]:
    """The newest changes to the call's figures and status, as people read them."""
    events, _ = await list_history(session, call, limit=PAGE_PLEDGES)
    uris = {e.actor_uri for e in events if e.actor_uri}
    actors = (await session.execute(select(Actor).where(col(Actor.uri).in_(uris)))).scalars()
    names = {a.uri: a.name or a.username for a in actors}
    ids = {e.pledge_id for e in events if e.pledge_id}
    pledges = list(
        (await session.execute(select(Pledge).where(col(Pledge.id).in_(ids)))).scalars()
        if ids
        else []
    )
    funders = dict(zip((p.id for p in pledges), await funders_of(session, pledges), strict=True))
    by_id = {p.id: p for p in pledges}
    lines = []
    for event in events:
        pledge = by_id.get(event.pledge_id) if event.pledge_id else None
        lines.append(
            {
                "event": event,
                "label": _EVENT_LABELS.get(event.kind, event.kind),
                "by": names.get(event.actor_uri or ""),
                "funder": funders[pledge.id][1] if pledge else None,
                "pledge": pledge,
                "amount": (
                    format_money(event.amount_minor, event.currency)
                    if event.amount_minor is not None
                    else None
                ),
                "raised": format_money(event.raised_minor, event.currency),
                "goal": format_money(event.goal_minor, event.currency),
            }
        )
    return lines


def _region_of(asked: str | None, owner: Actor) -> str | None:
    """The region the page counts providers in: the one asked for, else its owner's."""
    if asked:
        try:
            return normalize_region(asked)
        except RegionError:
            return None
    return owner.region if owner.region and is_region_code(owner.region) else None


async def render_funding_call_page(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    call: FundingCall,
    actor: Actor,
    *,
    today: date,
) -> Response:
    """Render a funding call: figures, a bar per sector and in total, its pledges and history.

    The accepted pledges listed, with the line summing the older ones, add up to the total
    shown; withdrawn pledges are listed apart, marked, and never counted.
    """
    project = await session.get(Project, call.project_id) if call.project_id else None
    accepted, _ = await list_pledges(
        session, call, limit=PAGE_PLEDGES, states=(PledgeState.accepted,)
    )
    withdrawn, _ = await list_pledges(
        session, call, limit=PAGE_PLEDGES, states=(PledgeState.withdrawn,)
    )
    count, total = await accepted_count_and_sum(session, call)
    shown = figures(call)
    urls = Urls(settings.base_url)
    badge = await call_badge(session, call, today=today)
    context = {
        "preview_url": urls.preview(call.id),
        "page_url": call.url or call.uri,
        "badge_url": urls.badge("funding-calls", call.id),
        "badge_alt": f"{call.title}: {badge.message}",
        "call": call,
        "actor": actor,
        "project": project if project is not None and project.deleted_at is None else None,
        "status": effective_status(call, today),
        "figures": shown,
        "deadline": long_date(call.deadline),
        "pledges": await _pledge_lines(session, accepted),
        "older_pledges": count - len(accepted),
        "older_amount": format_money(total - sum(p.amount_minor for p in accepted), call.currency),
        "withdrawn": await _pledge_lines(session, withdrawn),
        "history": await _history_lines(session, call),
        "sector_labels": SECTOR_LABELS,
        "description": f"{call.summary} — {shown.line}" if call.summary else shown.line,
        "counts": await interaction_counts(session, call.uri),
        "replies": await replies_of(session, call.uri),
    }
    return _alternate(render_page(request, settings, "funding_call.html", context), call.uri)
