"""WebFinger both ways: resolving ``user@host`` handles, and the documents our server answers.

Follows Mastodon's client and server (FEDERATION.md, "Signatures, fetching and delivery"): the
request is unsigned, the resource is not percent-encoded, a 404 falls back once to the host-meta
``lrdd`` template, and only a ``self`` link of an ActivityStreams type counts.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit
from xml.etree import ElementTree

from federation.errors import FetchError, FetchStatusError, WebFingerError
from federation.fetch import Fetcher

__all__ = [
    "FOLLOW_TEMPLATE_RELS",
    "JRD_ACCEPT",
    "SELF_LINK_TYPES",
    "XRD_ACCEPT",
    "NoFollowTemplate",
    "follow_template",
    "parse_handle",
    "parse_resource",
    "resolve_handle",
    "webfinger_document",
]

JRD_ACCEPT = "application/jrd+json, application/json"
XRD_ACCEPT = "application/xrd+xml, application/xml, text/xml"
SELF_LINK_TYPES = frozenset(
    {
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    }
)

#: Links of a WebFinger document that let its account follow someone, best first, with the
#: placeholder each template holds (FEP-3b86 intents; OStatus' as Mastodon has long served it).
FOLLOW_TEMPLATE_RELS = (
    ("https://w3id.org/fep/3b86/Follow", "{object}"),
    ("https://w3id.org/fep/3b86/Object", "{object}"),
    ("http://ostatus.org/schema/1.0/subscribe", "{uri}"),
)


class NoFollowTemplate(WebFingerError):
    """The handle's server offers no way to follow from it (no template in its WebFinger)."""


_USERNAME = re.compile(r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*", re.IGNORECASE)
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::[0-9]{{1,5}})?", re.IGNORECASE)


def parse_handle(value: str) -> tuple[str, str]:
    """Return ``(username, host)`` from ``user@host``, ``@user@host`` or ``acct:user@host``.

    The host keeps its port, if any, and is lower-cased. Raises ``WebFingerError`` when the
    handle is malformed or the username is one Mastodon would refuse.
    """
    text = value.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    elif text.startswith("@"):
        text = text[1:]
    username, at, host = text.partition("@")
    if not at or not _USERNAME.fullmatch(username) or not _HOST.fullmatch(host):
        raise WebFingerError(f"malformed handle {value!r}")
    return username, host.lower()


async def resolve_handle(fetcher: Fetcher, handle: str, *, insecure_http: bool = False) -> str:
    """Return the actor URI a handle's WebFinger ``self`` link points to.

    ``insecure_http`` uses ``http://`` (loopback tests only). Raises ``WebFingerError`` for a
    malformed handle, a failed fetch (chained as ``__cause__``: a 410 means the account is
    gone) or a document without a usable self link. Callers still check that the actor's
    ``preferredUsername`` and host round-trip to the same handle.
    """
    jrd, resource = await _fetch_jrd(fetcher, handle, insecure_http=insecure_http)
    return _self_href(jrd, resource)


async def follow_template(fetcher: Fetcher, handle: str, *, insecure_http: bool = False) -> str:
    """Return the URL template where a handle's own server lets them follow someone, with
    ``{uri}`` to fill: a FEP-3b86 Follow (else Object) intent, else OStatus' subscribe link.

    Raises ``WebFingerError`` like ``resolve_handle`` (a failed fetch chained as
    ``__cause__``), and ``NoFollowTemplate`` when the server offers none.
    """
    jrd, resource = await _fetch_jrd(fetcher, handle, insecure_http=insecure_http)
    links = jrd.get("links")
    templates = {
        link.get("rel"): link["template"]
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, dict)
        and isinstance(link.get("template"), str)
        and link["template"].startswith(("https://", "http://"))
    }
    for rel, placeholder in FOLLOW_TEMPLATE_RELS:
        if rel in templates and placeholder in templates[rel]:
            return str(templates[rel]).replace(placeholder, "{uri}")
    raise NoFollowTemplate(f"WebFinger for {resource} offers no follow template")


async def _fetch_jrd(
    fetcher: Fetcher, handle: str, *, insecure_http: bool
) -> tuple[dict[str, Any], str]:
    """Return a handle's WebFinger document and resource (host-meta's template on a 404)."""
    username, host = parse_handle(handle)
    scheme = "http" if insecure_http else "https"
    resource = f"acct:{username}@{host}"
    try:
        try:
            jrd = await fetcher.get_json(
                f"{scheme}://{host}/.well-known/webfinger?resource={resource}", accept=JRD_ACCEPT
            )
        except FetchStatusError as exc:
            if exc.status != 404:
                raise
            jrd = await fetcher.get_json(
                await _lrdd_url(fetcher, f"{scheme}://{host}", resource), accept=JRD_ACCEPT
            )
    except FetchError as exc:
        raise WebFingerError(f"WebFinger for {resource} failed: {exc}") from exc
    return jrd, resource


async def _lrdd_url(fetcher: Fetcher, origin: str, resource: str) -> str:
    """Return the WebFinger URL that the host's host-meta ``lrdd`` template gives."""
    xml = await fetcher.get_bytes(f"{origin}/.well-known/host-meta", accept=XRD_ACCEPT)
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise WebFingerError(f"host-meta of {origin} declares a DTD")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise WebFingerError(f"host-meta of {origin} is not XML") from exc
    for link in root.iter("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link"):
        template = link.get("template", "")
        if link.get("rel") == "lrdd" and "{uri}" in template:
            return template.replace("{uri}", resource)
    raise WebFingerError(f"host-meta of {origin} has no lrdd template")


def _self_href(jrd: dict[str, Any], resource: str) -> str:
    """Return the first ``self`` link of an ActivityStreams type, as Mastodon 4.3+ does."""
    links = jrd.get("links")
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in SELF_LINK_TYPES
            and isinstance(link.get("href"), str)
            and link["href"].startswith(("https://", "http://"))
        ):
            return str(link["href"])
    raise WebFingerError(f"WebFinger for {resource} has no ActivityPub self link")


def webfinger_document(
    *, subject: str, actor_uri: str, profile_url: str, subscribe_template: str | None = None
) -> dict[str, Any]:
    """Return the JRD our server answers for one actor, shaped like Mastodon's.

    It holds exactly one ``self`` link; ``subscribe_template`` is the remote-follow template,
    such as ``<base>/authorize_interaction?uri={uri}``, and is left out when ``None``.
    """
    links: list[dict[str, str]] = [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url},
        {"rel": "self", "type": "application/activity+json", "href": actor_uri},
    ]
    if subscribe_template is not None:
        links.append(
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": subscribe_template}
        )
    return {
        "subject": subject,
        "aliases": list(dict.fromkeys([profile_url, actor_uri])),
        "links": links,
    }


def parse_resource(
    resource: str, *, local_domain: str, base_url: str
) -> tuple[Literal["acct", "url"], str]:
    """Return what a WebFinger ``resource`` parameter asks for: a local username or our URL.

    Accepts ``acct:user@domain``, ``user@domain`` and http(s) URLs. Raises ``ValueError`` for
    malformed input (answer 400) and ``LookupError`` for another domain or a URL outside
    ``base_url`` (answer 404).
    """
    if resource[:7].lower() == "http://" or resource[:8].lower() == "https://":
        if not _is_under(resource, base_url):
            raise LookupError(f"{resource} is not on {base_url}")
        return "url", resource
    acct = resource[5:] if resource[:5].lower() == "acct:" else resource
    username, at, domain = acct.partition("@")
    if not at or not _USERNAME.fullmatch(username) or not _HOST.fullmatch(domain):
        raise ValueError(f"malformed resource {resource!r}")
    if domain.lower() != local_domain.lower():
        raise LookupError(f"{domain} is not {local_domain}")
    return "acct", username


def _is_under(url: str, base_url: str) -> bool:
    """Return whether ``url`` has the origin of ``base_url`` and lies under its path.

    Raises ``ValueError`` when ``url`` has no host or an invalid port.
    """
    target, base = urlsplit(url), urlsplit(base_url)
    if not target.hostname:
        raise ValueError(f"URL without a host: {url!r}")
    default_ports = {"http": 80, "https": 443}
    return (
        target.scheme.lower() == base.scheme.lower()
        and target.hostname == base.hostname
        and (target.port or default_ports[target.scheme.lower()])
        == (base.port or default_ports[base.scheme.lower()])
        and (target.path + "/").startswith(base.path.rstrip("/") + "/")
    )
