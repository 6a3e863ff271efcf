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
from schemas.states import PledgeState, ServiceKind
from server.domain.badges import call_badge
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.history import list_history
from server.domain.interactions import interaction_counts, replies_of
from server.domain.labels import SERVICE_LABELS
from server.domain.money import format_money
from server.domain.notes import figures
from server.domain.pledges import accepted_count_and_sum, funders_of, list_pledges
from server.domain.providers import (
    UsageSummary,
    list_providers,
    usage_summary,
    users_of,
)
from server.i18n import locale_of, translations
from server.pages.labels import EVENT_LABELS
from server.pages.templating import reader_of, render_page
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
    reader = await reader_of(request, session)
    calls = await funding_calls_of(session, project_id=project.id)
    region = _region_of(request.query_params.get("region"), actor)
    service = request.query_params.get("service")
    service = service if service in set(ServiceKind) else None
    summary = await usage_summary(session, project.id, region=region)
    query = {
        k: v for k, v in (("project", project.id), ("region", region), ("service", service)) if v
    }
    usage = _usage_text(summary, reader.language)
    context = {
        "project": project,
        "actor": actor,
        "calls": calls,
        "usage": usage,
        "region": region,
        "service": service,
        "services": SERVICE_LABELS,
        "users": await users_of(session, project.id),
        "providers": await list_providers(
            session, project_id=project.id, area=region, service=service, limit=100
        ),
        "base_url": settings.base_url,
        "providers_csv": "/api/v1/providers?" + urlencode(query | {"format": "csv"}),
        "providers_json": "/api/v1/providers?" + urlencode(query),
        "feed_url": urls.url(f"/feeds/projects/{project.id}/calls.atom"),
        "manifest_url": urls.funding_manifest(project.id),
        "page_url": project.url or project.uri,
        "badge_url": urls.badge("projects", project.id, language=reader.language),
        "badge_alt": f"{project.name}: {usage}",
        "call_status": lambda call: effective_status(call, today),
        "counts": await interaction_counts(session, project.uri),
        "replies": await replies_of(session, project.uri),
    }
    page = render_page(request, settings, reader, "project.html", context)
    return _alternate(page, project.uri)


#: How many pledges of each kind a call's page lists; older accepted ones are summed in a line.
PAGE_PLEDGES = 100


async def _pledge_lines(
    session: AsyncSession, pledges: list[Pledge], locale: str
) -> list[dict[str, Any]]:
    """The pledges as people read them: funder and amount (their actors read at once)."""
    return [
        {
            "pledge": pledge,
            "pledger": pledger,
            "name": name,
            "amount": format_money(pledge.amount_minor, pledge.currency, locale=locale),
        }
        for pledge, (pledger, name) in zip(pledges, await funders_of(session, pledges), strict=True)
    ]


async def _history_lines(
    session: AsyncSession, call: FundingCall, locale: str
) -> list[dict[str, Any]]:
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
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "by": names.get(event.actor_uri or ""),
                "funder": funders[pledge.id][1] if pledge else None,
                "pledge": pledge,
                "amount": (
                    format_money(event.amount_minor, event.currency, locale=locale)
                    if event.amount_minor is not None
                    else None
                ),
                "raised": format_money(event.raised_minor, event.currency, locale=locale),
                "goal": format_money(event.goal_minor, event.currency, locale=locale),
            }
        )
    return lines


def _usage_text(summary: UsageSummary, language: str) -> str:
    """Say who uses a project and how many serve it (in the region), in ``language``."""
    catalog = translations(language)
    ngettext, gettext = catalog.ungettext, catalog.ugettext
    users = summary.users
    text = ngettext("Used by %(num)d organisation", "Used by %(num)d organisations", users)
    text %= {"num": users}
    if bodies := summary.public_bodies:
        more = ngettext(
            ", %(num)d of them a public body", ", %(num)d of them public bodies", bodies
        )
        text += more % {"num": bodies}
    count = summary.providers if summary.region is None else summary.providers_in_region or 0
    providers = ngettext("%(num)d service provider", "%(num)d service providers", count)
    text += " · " + providers % {"num": count}
    if summary.region_name:
        text += " " + gettext("in %(region)s") % {"region": summary.region_name}
    return text


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
    reader = await reader_of(request, session)
    locale = locale_of(reader.language)
    shown = figures(call, language=reader.language)
    urls = Urls(settings.base_url)
    badge = await call_badge(session, call, today=today)
    context = {
        "preview_url": urls.preview(call.id, language=reader.language),
        "page_url": call.url or call.uri,
        "badge_url": urls.badge("funding-calls", call.id, language=reader.language),
        "badge_alt": f"{call.title}: {badge.message(reader.language)}",
        "call": call,
        "actor": actor,
        "project": project if project is not None and project.deleted_at is None else None,
        "status": effective_status(call, today),
        "pledges": await _pledge_lines(session, accepted, locale),
        "funders": count,
        "older_pledges": count - len(accepted),
        "older_amount": format_money(
            total - sum(p.amount_minor for p in accepted), call.currency, locale=locale
        ),
        "withdrawn": await _pledge_lines(session, withdrawn, locale),
        "history": await _history_lines(session, call, locale),
        # The call's own actor may not pledge to it: its members are offered their others
        "members": [a for a in reader.actors if a.id != call.actor_id],
        "its_member": any(a.id == call.actor_id for a in reader.actors),
        "shown": shown,
        "description": f"{call.summary} — {shown.line}" if call.summary else shown.line,
        "counts": await interaction_counts(session, call.uri),
        "replies": await replies_of(session, call.uri),
    }
    page = render_page(request, settings, reader, "funding_call.html", context)
    return _alternate(page, call.uri)
