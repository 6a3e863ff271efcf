"""Rows → ActivityStreams documents (``to_ap``), serialised once to the bytes we serve."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from schemas.actors import PROPERTY_MAX, Endpoints, Image, Multikey, PropertyValue, PublicKey
from schemas.actors import Actor as APActor
from schemas.collections import OrderedCollection, OrderedCollectionPage
from schemas.regions import region_name
from server.domain.text import escape
from server.publishing.outbox import dump
from server.storage.models import Actor
from server.urls import Urls

__all__ = [
    "DEFAULT_AVATAR",
    "actor_to_ap",
    "collection_document",
    "dump",
    "key_only",
    "page_document",
]

#: Characters of a link Mastodon shows, its scheme left out.
_SHOWN = 30


def _fields(actor: Actor) -> list[PropertyValue]:
    fields = []
    if actor.legal_form:
        fields.append(PropertyValue(name="Legal form", value=escape(actor.legal_form)))
    if actor.public_category:
        fields.append(PropertyValue(name="Public body", value=escape(actor.public_category)))
    if actor.siren:
        fields.append(PropertyValue(name="SIREN", value=escape(actor.siren)))
    if actor.siret:
        fields.append(PropertyValue(name="SIRET", value=escape(actor.siret)))
    if actor.region:
        name = region_name(actor.region, language=actor.language)
        fields.append(PropertyValue(name="Region", value=escape(name)))
    if actor.website and (link := _website_link(actor.website)):
        fields.append(PropertyValue(name="Website", value=link))
    return fields


def _website_link(url: str) -> str | None:
    """The Website field's link, shown as Mastodon shows links (no scheme, 30 characters);
    None when even so it passes Mastodon's 2 047 characters (a URL full of ``&``)."""
    shown = url.partition("://")[2] or url
    shown = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"
    link = (
        f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener noreferrer me">'
        f"{escape(shown)}</a>"
    )
    return link if len(link) <= PROPERTY_MAX else None


def _attribution_domains(actor: Actor, urls: Urls) -> list[str]:
    """Where Mastodon may credit the actor for a link preview (``fediverse:creator``): our
    pages, which carry it, and the website the actor declared."""
    urls_of_actor = (urls.base, actor.website or "")
    return list(dict.fromkeys(host for url in urls_of_actor if (host := urlsplit(url).hostname)))


def _assertion_method(actor: Actor) -> list[Multikey] | None:
    """The actor's Ed25519 key, which signs its Object Integrity Proofs (FEP-521a)."""
    if not actor.assertion_key_id or not actor.assertion_public_key:
        return None
    key = Multikey(
        id=actor.assertion_key_id,
        controller=actor.uri,
        public_key_multibase=actor.assertion_public_key,
    )
    return [key]


#: The avatar of an actor that has none of its own.
DEFAULT_AVATAR = "/static/avatar.png"


def _picture(published: dict[str, Any] | None) -> Image | None:
    """The avatar or header of ``server.media``, as the actor document carries it."""
    if not published:
        return None
    return Image(media_type=published["mediaType"], url=published["url"])


def actor_to_ap(actor: Actor, urls: Urls) -> dict[str, Any]:
    """Return the AS2 document of a local actor (checklist "The actor has")."""
    assert actor.key_id and actor.public_key_pem and actor.inbox_uri
    document = APActor(
        id=actor.uri,
        type=actor.type,
        preferred_username=actor.username,
        name=actor.name or actor.username,
        summary=actor.summary_html or "",
        url=actor.url,
        inbox=actor.inbox_uri,
        outbox=actor.outbox_uri,
        followers=actor.followers_uri,
        following=actor.following_uri,
        featured=actor.featured_uri,
        endpoints=Endpoints(shared_inbox=actor.shared_inbox_uri),
        public_key=PublicKey(id=actor.key_id, owner=actor.uri, public_key_pem=actor.public_key_pem),
        assertion_method=_assertion_method(actor),
        manually_approves_followers=actor.manually_approves_followers,
        discoverable=actor.discoverable,
        indexable=actor.discoverable,
        published=actor.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        icon=_picture(actor.icon) or Image(media_type="image/png", url=urls.url(DEFAULT_AVATAR)),
        image=_picture(actor.image),
        attachment=_fields(actor),
        attribution_domains=_attribution_domains(actor, urls),
        suspended=True if actor.suspended_at is not None else None,
    )
    return document.to_document()


#: What an actor document keeps for a GET that authorized fetch does not let see it whole:
#: enough to verify the actor's signatures (HTTP and proofs) and write to it, as on Mastodon.
_KEY_ONLY = (
    "@context",
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "publicKey",
    "assertionMethod",
    "endpoints",
)


def key_only(document: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of an actor document that are served without a signature."""
    return {name: document[name] for name in _KEY_ONLY if name in document}


def collection_document(uri: str, total: int, *, first: str | None) -> dict[str, Any]:
    """Return an OrderedCollection whose items live on pages starting at ``first``."""
    return OrderedCollection(id=uri, total_items=total, first=first).to_document()


def page_document(
    uri: str, *, part_of: str, total: int, items: list[Any], next_uri: str | None
) -> dict[str, Any]:
    """Return one OrderedCollectionPage."""
    return OrderedCollectionPage(
        id=uri, part_of=part_of, total_items=total, ordered_items=items, next=next_uri
    ).to_document()
