"""Projects and funding calls as Mastodon-readable Notes carrying our structured terms.

Mastodon shows only ``content`` of a Note, so the HTML is complete on its own (figures included);
Communs peers read the ``communs:`` terms defined inline in the ``@context`` (FEDERATION.md,
"Vocabulary"). ``updated`` appears only once an object was edited: Mastodon marks a status carrying
it as edited from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date

from schemas.context import AS2_PUBLIC, OBJECT_CONTEXT
from schemas.money import to_decimal_string
from server.domain.labels import FUNDING_STATUS_LABELS, PROJECT_STATUS_LABELS, SECTOR_LABELS, label
from server.domain.money import format_money, format_percent_of, percent_of
from server.domain.text import escape
from server.i18n import language_of, locale_of, translations
from server.storage.models import Actor, FundingCall, Pledge, Project
from server.urls import Urls

__all__ = [
    "Figures",
    "SectorFigure",
    "figures",
    "funding_call_note",
    "hashtags",
    "iso",
    "link",
    "long_date",
    "monetary_amount",
    "note_language",
    "pledge_document",
    "project_note",
    "tombstone",
]


def iso(moment: datetime) -> str:
    """Return an AS2 timestamp (UTC, second precision)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def link(url: str, text: str | None = None) -> str:
    """Return an outgoing link as Mastodon renders one (it opens elsewhere, unfollowed)."""
    safe = escape(url)
    label = escape(text) if text is not None else safe
    return f'<a href="{safe}" rel="nofollow noopener noreferrer" target="_blank">{label}</a>'


def hashtags(urls: Urls, tags: list[str]) -> tuple[str, list[dict[str, str]]]:
    """Return the hashtag paragraph (Mastodon's markup) and the matching ``tag`` entries."""
    links = [
        f'<a href="{escape(urls.tag(t))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape(t)}</span></a>"
        for t in tags
    ]
    entries = [{"type": "Hashtag", "href": urls.tag(t), "name": f"#{t}"} for t in tags]
    return (f"<p>{' '.join(links)}</p>" if links else ""), entries


def note_language(actor: Actor) -> str:
    """Return the language an actor's Notes are written in: its own when we write it, else
    English (``contentMap`` names the language the text is really in)."""
    return language_of(actor.language)


def _note(
    *,
    uri: str,
    url: str,
    actor: Actor,
    published: datetime,
    updated: datetime,
    content: str,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": uri,
        "type": "Note",
        "attributedTo": actor.uri,
        "url": url,
        "published": iso(published),
        "to": [AS2_PUBLIC],
        "cc": [actor.followers_uri],
        "content": content,
        "contentMap": {note_language(actor): content},
        "tag": tags,
    }
    if iso(updated) > iso(published):
        document["updated"] = iso(updated)
    return document


def _with_pictures(document: dict[str, Any], row: Project | FundingCall) -> None:
    """Add the logo (``icon``) and the images (``attachment``, as Mastodon shows media)."""
    if row.icon:
        document["icon"] = row.icon
    if row.attachment:
        document["attachment"] = row.attachment


def project_note(project: Project, actor: Actor, urls: Urls) -> dict[str, Any]:
    """Return the Note of a project, in its actor's language: full HTML content plus
    ``communs:`` structure."""
    language = note_language(actor)
    t = translations(language)
    parts = [f"<p><strong>{escape(project.name)}</strong></p>"]
    if project.summary:
        parts.append(f"<p>{escape(project.summary)}</p>")
    if project.description_html:
        parts.append(project.description_html)
    status = label(PROJECT_STATUS_LABELS, project.status, language)
    facts = [t.gettext("Status: {status}").format(status=status)]
    if project.license:
        facts.insert(0, t.gettext("Licence: {license}").format(license=project.license))
    parts.append(f"<p>{escape(' · '.join(facts))}</p>")
    if project.repository_url:
        repository = escape(t.gettext("Repository: {url}"))
        parts.append(f"<p>{repository.format(url=link(project.repository_url))}</p>")
    if project.website_url:
        website = escape(t.gettext("Website: {url}"))
        parts.append(f"<p>{website.format(url=link(project.website_url))}</p>")
    parts.append(f"<p>{link(project.url or project.uri)}</p>")
    tag_html, tag_entries = hashtags(urls, project.tags)
    document = _note(
        uri=project.uri,
        url=project.url or project.uri,
        actor=actor,
        published=project.published_at,
        updated=project.updated_at,
        content="".join(parts) + tag_html,
        tags=tag_entries,
    )
    _with_pictures(document, project)
    document.update(objectType="Project", name=project.name, status=project.status)
    if project.license:
        document["license"] = project.license
    if project.repository_url:
        document["codeRepository"] = project.repository_url
    return document


@dataclass(frozen=True)
class SectorFigure:
    """One sector's pledged total, for people."""

    sector: str
    label: str
    minor: int
    text: str
    percent: int


@dataclass(frozen=True)
class Figures:
    """A call's goal and progress as people read them ("12 500,00 € of 50 000,00 € …")."""

    goal: str
    raised: str
    percent: int
    line: str
    sectors: list[SectorFigure]


def figures(call: FundingCall, *, language: str) -> Figures:
    """Return the goal, total and per-sector progress of a call, in ``language``."""
    locale = locale_of(language)
    goal = format_money(call.goal_minor, call.currency, locale=locale)
    raised = format_money(call.raised_minor, call.currency, locale=locale)
    percent = format_percent_of(call.raised_minor, call.goal_minor, locale=locale)
    sectors = [
        SectorFigure(
            sector=str(sector),
            label=label(SECTOR_LABELS, sector, language),
            minor=call.raised_by_sector.get(sector, 0),
            text=format_money(call.raised_by_sector.get(sector, 0), call.currency, locale=locale),
            percent=percent_of(call.raised_by_sector.get(sector, 0), call.goal_minor),
        )
        for sector in SECTOR_LABELS
    ]
    line = translations(language).gettext("{raised} of {goal} raised ({percent})")
    return Figures(
        goal=goal,
        raised=raised,
        percent=percent_of(call.raised_minor, call.goal_minor),
        line=line.format(raised=raised, goal=goal, percent=percent),
        sectors=sectors,
    )


def monetary_amount(minor: int, currency: str) -> dict[str, str]:
    """Return a ``schema:MonetaryAmount`` whose value is a decimal string."""
    return {
        "type": "MonetaryAmount",
        "value": to_decimal_string(minor, currency),
        "currency": currency,
    }


def long_date(day: date, *, language: str) -> str:
    """Return a deadline for people ("1 March 2027", "1 mars 2027")."""
    return str(format_date(day, format="long", locale=locale_of(language)))


def funding_call_note(
    call: FundingCall, actor: Actor, urls: Urls, *, status: str, project: Project | None
) -> dict[str, Any]:
    """Return the Note of a funding call, in its actor's language: complete HTML with figures,
    plus structured terms.

    ``status`` is the call's status now (a passed deadline closes it without a write).
    """
    language = note_language(actor)
    t = translations(language)
    shown = figures(call, language=language)
    page = call.url or call.uri
    parts = [f"<p><strong>{escape(call.title)}</strong></p>"]
    if call.summary:
        parts.append(f"<p>{escape(call.summary)}</p>")
    if call.description_html:
        parts.append(call.description_html)
    summary = t.gettext("Goal: {goal} · Deadline: {deadline} · Status: {status}").format(
        goal=shown.goal,
        deadline=long_date(call.deadline, language=language),
        status=label(FUNDING_STATUS_LABELS, status, language),
    )
    parts.append(f"<p>{escape(summary)}</p>")
    parts.append(f"<p>{escape(shown.line)}</p>")
    sector_line = t.gettext("{sector}: {amount}")
    by_sector = "<br>".join(
        escape(sector_line.format(sector=s.label, amount=s.text)) for s in shown.sectors
    )
    parts.append(f"<p>{by_sector}</p>")
    if project is not None and project.deleted_at is None:
        project_link = link(project.url or project.uri, project.name)
        of_project = escape(t.gettext("Project: {link}"))
        parts.append(f"<p>{of_project.format(link=project_link)}</p>")
    parts.append(f"<p>{link(page)}</p>")
    tag_html, tag_entries = hashtags(urls, call.tags)
    document = _note(
        uri=call.uri,
        url=page,
        actor=actor,
        published=call.published_at,
        updated=call.updated_at,
        content="".join(parts) + tag_html,
        tags=tag_entries,
    )
    _with_pictures(document, call)
    document.update(
        objectType="FundingCall",
        name=call.title,
        status=status,
        goal=monetary_amount(call.goal_minor, call.currency),
        raised=monetary_amount(call.raised_minor, call.currency),
        raisedBySector={s.sector: monetary_amount(s.minor, call.currency) for s in shown.sectors},
        endTime=f"{call.deadline.isoformat()}T23:59:59Z",
    )
    if call.project_uri:
        document["project"] = call.project_uri
    return document


def pledge_document(
    pledge: Pledge,
    call: FundingCall,
    *,
    pledger: Actor | None,
    funder: str,
    recorded_by: Actor | None = None,
) -> dict[str, Any]:
    """Return the AS2 object of a pledge (served at its URI, or carried by our Offer).

    ``attributedTo`` names the actor who made it; a pledge the call's owner recorded for a
    funder outside the fediverse has a ``name`` and ``recordedBy`` (the owner) instead.
    """
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": pledge.uri,
        "type": "Object",
        "objectType": "Pledge",
        "attributedTo": pledger.uri if pledger is not None else None,
        "recordedBy": recorded_by.uri if recorded_by is not None else None,
        "name": funder,
        "fundingCall": call.uri,
        "amount": monetary_amount(pledge.amount_minor, pledge.currency),
        "sector": pledge.sector,
        "status": pledge.state,
        "published": iso(pledge.created_at),
    }
    if pledge.message:
        document["content"] = f"<p>{escape(pledge.message)}</p>"
    return {k: v for k, v in document.items() if v is not None}


def tombstone(uri: str, deleted_at: datetime, *, former_type: str = "Note") -> dict[str, Any]:
    """Return the Tombstone left where a deleted object was."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": uri,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": iso(deleted_at),
    }
