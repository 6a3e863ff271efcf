"""Declarations as Mastodon-readable Notes, in their actor's language.

Mastodon shows only ``content``, so it says it all in a sentence ("La Ville de Lyon utilise
OpenMap Réparation"); Communs peers read the ``communs:`` terms of the same Note
(FEDERATION.md, "Vocabulary"). French actors write in French, everyone else in English.
"""

from __future__ import annotations

from typing import Any

from schemas.context import AS2_PUBLIC, OBJECT_CONTEXT
from schemas.regions import region_name
from schemas.states import DeclarationKind, ServiceKind
from server.domain.notes import iso, link
from server.domain.text import escape
from server.storage.models import Actor, Declaration, Project

__all__ = [
    "OBJECT_TYPES",
    "SERVICE_LABELS",
    "declaration_note",
    "note_language",
    "service_label",
]

#: The ``communs:objectType`` of each kind of declaration.
OBJECT_TYPES = {DeclarationKind.uses: "Usage", DeclarationKind.serves: "ServiceOffer"}

SERVICE_LABELS: dict[str, dict[ServiceKind, str]] = {
    "en": {
        ServiceKind.development: "development",
        ServiceKind.support: "support",
        ServiceKind.hosting: "hosting",
        ServiceKind.training: "training",
        ServiceKind.consulting: "consulting",
        ServiceKind.integration: "integration",
    },
    "fr": {
        ServiceKind.development: "développement",
        ServiceKind.support: "support",
        ServiceKind.hosting: "hébergement",
        ServiceKind.training: "formation",
        ServiceKind.consulting: "conseil",
        ServiceKind.integration: "intégration",
    },
}

_SENTENCES = {
    "en": {
        "uses": "{actor} uses {project}.",
        "serves": "{actor} provides services for {project}: {services}.",
        "regions": "Regions: {regions}.",
    },
    "fr": {
        "uses": "{actor} utilise {project}.",
        "serves": "{actor} propose ses services pour {project} : {services}.",
        "regions": "Régions : {regions}.",
    },
}


def note_language(actor: Actor) -> str:
    """Return the language a declaration is written in: the actor's, French or English."""
    return "fr" if actor.language.split("-")[0].lower() == "fr" else "en"


def service_label(kind: str, language: str) -> str:
    """Return the name of a service for people."""
    labels = SERVICE_LABELS.get(language, SERVICE_LABELS["en"])
    return labels.get(ServiceKind(kind), kind) if kind in set(ServiceKind) else kind


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
    said = _SENTENCES[language]
    name = escape(actor.name or actor.username)
    project_link = link(project.url or project.uri, project.name)
    if declaration.kind == DeclarationKind.uses:
        sentence = said["uses"].format(actor=name, project=project_link)
    else:
        shown = ", ".join(escape(service_label(s, language)) for s in services)
        sentence = said["serves"].format(actor=name, project=project_link, services=shown)
    parts = [f"<p>{sentence}</p>"]
    if areas:
        names = ", ".join(escape(region_name(code, language=language)) for code in areas)
        parts.append(f"<p>{said['regions'].format(regions=names)}</p>")
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
