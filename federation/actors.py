"""Remote actors: reading their documents, and resolving a ``keyId`` to a verified key.

Resolution order (docs/architecture.md, "The two paths"): in-memory cache → database → signed GET
of the key id (an actor document, or a key document whose owner is then fetched). The key's ``id``
must equal the ``keyId`` and its ``owner`` the actor's ``id``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation.errors import FederationError, KeyResolutionError
from federation.fetch import Fetcher
from federation.httpsig import verify_signature
from federation.keys import load_public_key
from federation.ports import ActorStore, KnownKey, RemoteActor
from federation.sanitize import sanitize_html
from federation.sigtypes import SignedRequest, Verification
from schemas.actors import ACTOR_TYPES
from schemas.base import as_list, get_id

__all__ = [
    "HOST_MAX",
    "URI_MAX",
    "KeyResolver",
    "ResolvedKey",
    "http_uri",
    "http_uri_host",
    "parse_actor",
    "picture",
    "pictures",
]

#: The longest alt text kept (Mastodon keeps 1 500 characters of a description).
_ALT_TEXT_LIMIT = 1500
#: Media a Note carries (Mastodon shows four).
_ATTACHMENTS_LIMIT = 4

_NAME_LIMIT = 2048
_SUMMARY_LIMIT = 20_000


#: The longest URI, and host[:port], we store: longer ones fit no column and name no server.
URI_MAX = 2048
HOST_MAX = 255


def http_uri(value: Any) -> str | None:
    """Return ``value``'s http(s) IRI, or None when it has none we could store and reach."""
    uri = get_id(value)
    if uri is None or len(uri) > URI_MAX:
        return None
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError out of 0–65535)
    except ValueError:  # e.g. an unclosed IPv6 literal, "https://[x/", a port of 99999
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return uri if len(parts.netloc) <= HOST_MAX else None


def http_uri_host(value: object) -> str | None:
    """Return the lower-cased host[:port] of an http(s) IRI string ``http_uri`` takes, or
    None: what an object's id is compared on with its actor's."""
    uri = http_uri(value) if isinstance(value, str) else None
    return urlsplit(uri).netloc.lower() if uri else None


def parse_actor(document: dict[str, Any], *, key_id: str | None = None) -> RemoteActor:
    """Return the actor described by ``document``, with the key ``key_id`` (or its first key).

    Raises ``KeyResolutionError`` when the document is not a usable actor.
    """
    uri = http_uri(document.get("id"))
    types = set(as_list(document.get("type")))
    username = document.get("preferredUsername")
    inbox = http_uri(document.get("inbox"))
    if uri is None or not types & ACTOR_TYPES or not isinstance(username, str) or inbox is None:
        raise KeyResolutionError("not an actor document (id, type, preferredUsername, inbox)")
    keys = [k for k in as_list(document.get("publicKey")) if isinstance(k, dict)]
    key = next((k for k in keys if key_id is None or k.get("id") == key_id), None)
    if key is None or not isinstance(key.get("publicKeyPem"), str):
        raise KeyResolutionError(f"{uri} does not publish the key {key_id}")
    if key.get("owner") != uri:
        raise KeyResolutionError(f"key {key.get('id')} is not owned by {uri}")
    key_uri = http_uri(key.get("id"))
    host = urlsplit(uri).netloc
    if key_uri is None or urlsplit(key_uri).netloc.lower() != host.lower():
        # A key lives on its actor's server: one claiming another server's key id would take
        # that key's requests for its own (and lock its real owner out).
        raise KeyResolutionError(f"key {key.get('id')} is not on the host of {uri}")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    name = document.get("name")
    summary = document.get("summary")
    url = http_uri(document.get("url"))
    return RemoteActor(
        uri=uri,
        type=next(iter(sorted(types & ACTOR_TYPES))),
        username=username[:255],
        domain=host.lower(),
        name=name[:_NAME_LIMIT] if isinstance(name, str) else "",
        summary_html=sanitize_html(summary[:_SUMMARY_LIMIT]) if isinstance(summary, str) else "",
        url=url if url and urlsplit(url).netloc == host else None,
        inbox_uri=inbox,
        shared_inbox_uri=http_uri(shared or document.get("sharedInbox")),
        outbox_uri=http_uri(document.get("outbox")),
        followers_uri=http_uri(document.get("followers")),
        following_uri=http_uri(document.get("following")),
        key_id=key_uri,
        public_key_pem=key["publicKeyPem"],
        manually_approves_followers=document.get("manuallyApprovesFollowers") is True,
        icon=picture(document.get("icon"), described=False),
        image=picture(document.get("image"), described=False),
    )


def picture(value: Any, *, described: bool = True) -> dict[str, Any] | None:
    """Return the first ``Image`` (or bare URL) of ``value`` with an http(s) ``url``, as we
    keep it: its ``url``, and its ``mediaType``, and, when ``described``, its alt text
    (``name``) and size."""
    for item in as_list(value):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or item.get("type", "Image") not in ("Image", "Document"):
            continue
        url = item.get("url")
        if isinstance(url, list):
            url = url[0] if url else None
        if isinstance(url, dict):  # a Link
            url = url.get("href")
        found = http_uri(url)
        if found is None:
            continue
        kept: dict[str, Any] = {"type": "Image", "url": found}
        media_type = item.get("mediaType")
        if (
            isinstance(media_type, str)
            and media_type.startswith("image/")
            and len(media_type) <= 100
        ):
            kept["mediaType"] = media_type
        if described:
            if isinstance(name := item.get("name"), str) and name:
                kept["name"] = name[:_ALT_TEXT_LIMIT]
            for side in ("width", "height"):
                number = item.get(side)
                if (
                    isinstance(number, int)
                    and not isinstance(number, bool)
                    and 0 < number < 100_000
                ):
                    kept[side] = number
        return kept
    return None


def pictures(value: Any) -> list[dict[str, Any]]:
    """Return the images among a Note's ``attachment`` (at most four), as ``picture`` keeps
    them; links and other media are left out."""
    found = [picture(item) for item in as_list(value)[: _ATTACHMENTS_LIMIT * 4]]
    images = [p for p in found if p is not None and "mediaType" in p]
    return images[:_ATTACHMENTS_LIMIT]


#: Verification failures that another key could turn into a success.
_KEY_FAILURES = frozenset({"bad_signature", "key_type_mismatch"})


class ResolvedKey:
    """A verified public key and where it came from (``cached`` keys may be stale)."""

    __slots__ = ("actor_uri", "cached", "key_id", "public_key")

    def __init__(self, known: KnownKey, *, cached: bool) -> None:
        self.key_id = known.key_id
        self.actor_uri = known.actor_uri
        self.public_key: PublicKeyTypes = load_public_key(known.public_key_pem)
        self.cached = cached


class KeyResolver:
    """Turns ``keyId``s into public keys, caching them in memory and in the database."""

    def __init__(self, store: ActorStore, fetcher: Fetcher, *, cache_size: int = 10_000) -> None:
        self._store = store
        self._fetcher = fetcher
        self._cache: OrderedDict[str, KnownKey] = OrderedDict()
        self._cache_size = cache_size

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey:
        """Return the key for ``key_id``; with ``refresh``, fetch it again from its server.

        Raises ``KeyResolutionError`` when no trustworthy key can be found.
        """
        if not refresh:
            known = self._cache.get(key_id) or await self._store.find_key(key_id)
            if known is not None:
                self._remember(known)
                return ResolvedKey(known, cached=True)
        known = await self._fetch(key_id)
        self._remember(known)
        return ResolvedKey(known, cached=False)

    async def verify(
        self, signed: SignedRequest, *, body: bytes | None
    ) -> tuple[Verification, ResolvedKey]:
        """Return the verification of ``signed`` and the key it was checked with.

        A cached key that does not verify the signature (or is of another type than its
        algorithm) is fetched again, once: its actor may have rotated it. Other failures
        (digest, coverage) would fail with any key, so they are answered without a fetch. The
        inbox and signed GETs both verify through here.

        Raises ``KeyResolutionError`` when no trustworthy key can be found.
        """
        key = await self.resolve(signed.key_id)
        verification = verify_signature(signed, key.public_key, body=body)
        if not verification.ok and key.cached and verification.reason in _KEY_FAILURES:
            key = await self.resolve(signed.key_id, refresh=True)
            verification = verify_signature(signed, key.public_key, body=body)
        return verification, key

    def _remember(self, known: KnownKey) -> None:
        self._cache[known.key_id] = known
        self._cache.move_to_end(known.key_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _fetch(self, key_id: str) -> KnownKey:
        if http_uri(key_id) is None:
            raise KeyResolutionError(f"unsupported key id {key_id!r}")
        try:
            document = await self._fetcher.fetch_unknown_id(key_id)
            if "publicKeyPem" in document and "inbox" not in document:
                owner = http_uri(document.get("owner"))
                if owner is None or document.get("id") != key_id:
                    raise KeyResolutionError(f"key document {key_id} has no valid owner")
                document = await self._fetcher.fetch_object(owner)
        except FederationError as exc:
            raise KeyResolutionError(f"cannot fetch {key_id}: {exc}") from exc
        if urlsplit(str(document.get("id"))).netloc != urlsplit(key_id).netloc:
            raise KeyResolutionError(f"key {key_id} resolved to an actor on another host")
        actor = parse_actor(document, key_id=key_id)
        try:
            load_public_key(actor.public_key_pem)
        except ValueError:
            raise KeyResolutionError(f"key {key_id} is not a valid public key PEM") from None
        await self._store.save_remote_actor(actor)
        return KnownKey(
            key_id=actor.key_id, actor_uri=actor.uri, public_key_pem=actor.public_key_pem
        )
