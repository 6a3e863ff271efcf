"""Projects (and funding calls) as Mastodon-readable Notes carrying our structured terms.

Mastodon shows only ``content`` of a Note, so the HTML is complete on its own; Communs peers
read the ``communs:`` terms defined inline in the ``@context`` (DESIGN.md §6).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.context import AS2_PUBLIC, OBJECT_CONTEXT
from server.models import Actor, Project
from server.text import escape
from server.urls import Urls

__all__ = ["hashtags", "iso", "project_note", "tombstone"]


def iso(moment: datetime) -> str:
    """Return an AS2 timestamp (UTC, second precision)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(url: str) -> str:
    safe = escape(url)
    return f'<a href="{safe}" rel="nofollow noopener noreferrer" target="_blank">{safe}</a>'


def hashtags(urls: Urls, tags: list[str]) -> tuple[str, list[dict[str, str]]]:
    """Return the hashtag paragraph (Mastodon's markup) and the matching ``tag`` entries."""
    links = [
        f'<a href="{escape(urls.tag(t))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape(t)}</span></a>"
        for t in tags
    ]
    entries = [{"type": "Hashtag", "href": urls.tag(t), "name": f"#{t}"} for t in tags]
    return (f"<p>{' '.join(links)}</p>" if links else ""), entries


def project_note(project: Project, actor: Actor, urls: Urls) -> dict[str, Any]:
    """Return the Note of a project: full HTML content plus ``communs:`` structure."""
    parts = [f"<p><strong>{escape(project.name)}</strong></p>"]
    if project.summary:
        parts.append(f"<p>{escape(project.summary)}</p>")
    if project.description_html:
        parts.append(project.description_html)
    facts = [f"Status: {escape(project.status)}"]
    if project.license:
        facts.insert(0, f"Licence: {escape(project.license)}")
    parts.append(f"<p>{' · '.join(facts)}</p>")
    if project.repository_url:
        parts.append(f"<p>Repository: {_link(project.repository_url)}</p>")
    if project.website_url:
        parts.append(f"<p>Website: {_link(project.website_url)}</p>")
    parts.append(f"<p>{_link(project.url or project.uri)}</p>")
    tag_html, tag_entries = hashtags(urls, project.tags)
    content = "".join(parts) + tag_html
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": project.uri,
        "type": "Note",
        "objectType": "Project",
        "attributedTo": actor.uri,
        "url": project.url or project.uri,
        "published": iso(project.published_at),
        "updated": iso(project.updated_at),
        "to": [AS2_PUBLIC],
        "cc": [actor.followers_uri],
        "content": content,
        "contentMap": {"en": content},
        "tag": tag_entries,
        "name": project.name,
        "status": project.status,
    }
    if project.license:
        document["license"] = project.license
    if project.repository_url:
        document["codeRepository"] = project.repository_url
    return document


def tombstone(uri: str, deleted_at: datetime) -> dict[str, Any]:
    """Return the Tombstone left where a deleted object was."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": uri,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": iso(deleted_at),
    }
