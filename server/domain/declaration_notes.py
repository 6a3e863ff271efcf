"""Declarations as Mastodon-readable Notes, in their actor's language.

Mastodon shows only ``content``, so it says it all in a sentence ("La Ville de Lyon utilise
OpenMap Réparation"); Communs peers read the ``communs:`` terms of the same Note
(FEDERATION.md, "Vocabulary"). The sentences come from the catalogs, in the actor's language.
"""

from __future__ import annotations

from typing import Any

from schemas.context import AS2_PUBLIC, OBJECT_CONTEXT
from schemas.regions import region_name
from schemas.states import DeclarationKind
from server.domain.labels import SERVICE_LABELS, label
from server.domain.notes import iso, link, note_language
from server.domain.text import escape
from server.i18n import translations
from server.storage.models import Actor, Declaration, Project

__all__ = ["OBJECT_TYPES", "declaration_note"]

#: The ``communs:objectType`` of each kind of declaration.
OBJECT_TYPES = {DeclarationKind.uses: "Usage", DeclarationKind.serves: "ServiceOffer"}


def declaration_note(
    declaration: Declaration,
    actor: Actor,
    project: Project,
    *,
    services: list[str],
    areas: list[str],
    project_owner: str,
) -> dict[str, Any]:
    """Return the Note of a declaration: one readable sentence, plus the structured terms.

    ``project_owner`` (the project owner's URI) is in ``cc``, so its server hears of it.
    """
    language = note_language(actor)
    t = translations(language)
    name = escape(actor.name or actor.username)
    project_link = link(project.url or project.uri, project.name)
    if declaration.kind == DeclarationKind.uses:
        sentence = escape(t.gettext("{actor} uses {project}."))
        sentence = sentence.format(actor=name, project=project_link)
    else:
        shown = ", ".join(escape(label(SERVICE_LABELS, s, language)) for s in services)
        sentence = escape(t.gettext("{actor} provides services for {project}: {services}."))
        sentence = sentence.format(actor=name, project=project_link, services=shown)
    parts = [f"<p>{sentence}</p>"]
    if areas:
        names = ", ".join(region_name(code, language=language) for code in areas)
        regions = t.gettext("Regions: {regions}.").format(regions=names)
        parts.append(f"<p>{escape(regions)}</p>")
    if declaration.text:
        parts.append(f"<p>{escape(declaration.text)}</p>")
    content = "".join(parts)
    cc = [actor.followers_uri] + ([project_owner] if project_owner != actor.uri else [])
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": declaration.uri,
        "type": "Note",
        "objectType": OBJECT_TYPES[DeclarationKind(declaration.kind)],
        "attributedTo": actor.uri,
        "url": declaration.url or declaration.uri,
        "published": iso(declaration.published_at),
        "to": [AS2_PUBLIC],
        "cc": cc,
        "content": content,
        "contentMap": {language: content},
        "project": project.uri,
        "actorKind": actor.kind,
    }
    if declaration.kind == DeclarationKind.serves:
        document["serviceKind"] = services
        document["areaServed"] = areas
    if declaration.text:
        document["description"] = declaration.text
    if iso(declaration.updated_at) > iso(declaration.published_at):
        document["updated"] = iso(declaration.updated_at)
    return {k: v for k, v in document.items() if v is not None}
