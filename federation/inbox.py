"""Inbox acceptance: authenticate, de-duplicate, store, answer — nothing else
(docs/architecture.md, "The two paths").

Checks run in this order so that a refused request touches nothing: JSON shape (400),
signature and key (401), signer = actor (401), the activity's Object Integrity Proofs when it
has any (401, FEP-8b32), same-origin objects (403), domain blocks (202, dropped), duplicates
(202, stored once). Side effects happen later, in a worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from federation.actors import KeyResolver
from federation.errors import KeyResolutionError
from federation.httpsig import Verification, parse_signature
from federation.integrity import MultikeyResolver, check_proofs
from federation.ports import ActorStore, InboxStore
from federation.rfc9421 import fold_fields
from federation.storable import UnstorableText
from federation.storable import loads as storable_json
from schemas.base import get_id

__all__ = ["MAX_INBOX_BODY", "InboxOutcome", "accept_activity"]

MAX_INBOX_BODY = 1024 * 1024
#: Longest activity id or actor IRI accepted (the length of the database's IRI columns).
_MAX_IRI = 2048

InboxReason = Literal[
    "accepted",
    "duplicate",
    "blocked",
    "unknown_actor_delete",
    "malformed",
    "unsigned",
    "bad_signature",
    "unknown_key",
    "actor_mismatch",
    "bad_proof",
    "origin_mismatch",
]

_STATUS: dict[InboxReason, int] = {
    "accepted": 202,
    "duplicate": 202,
    "blocked": 202,
    "unknown_actor_delete": 202,
    "malformed": 400,
    "unsigned": 401,
    "bad_signature": 401,
    "unknown_key": 401,
    "actor_mismatch": 401,
    "bad_proof": 401,
    "origin_mismatch": 403,
}


#: What a sender is told: the rule its request broke, never what we found out on our side
#: (a key fetch's error named how host names resolve here). Blocked senders are not told.
_ANSWERS: dict[InboxReason, str] = {
    "accepted": "accepted",
    "duplicate": "duplicate",
    "blocked": "accepted",
    "unknown_actor_delete": "accepted",
    "malformed": "malformed: the body is not an activity we can read",
    "unsigned": "unsigned: a valid HTTP signature is required",
    "bad_signature": "the HTTP signature does not pass its checks",
    "unknown_key": "unknown_key: the signature's key could not be obtained from its server",
    "actor_mismatch": "actor_mismatch: the activity is not signed by its actor",
    "bad_proof": "the object integrity proof does not pass its checks",
    "origin_mismatch": "origin_mismatch: the activity or its object is not on its actor's host",
}


@dataclass(frozen=True)
class InboxOutcome:
    """What the inbox answers, and why; ``detail`` is for the log only."""

    reason: InboxReason
    detail: str = ""
    #: The signature or proof check that failed (a closed set of words), which the sender is
    #: told.
    check: str = ""

    @property
    def status(self) -> int:
        return _STATUS[self.reason]

    @property
    def answer(self) -> str:
        """What the sender is told: generic, never the detail."""
        if self.reason == "bad_signature":
            return f"{self.check or self.reason}: {_ANSWERS[self.reason]}"
        if self.reason == "bad_proof":
            return f"proof refused, {self.check or self.reason}: {_ANSWERS[self.reason]}"
        return _ANSWERS[self.reason]


#: The common shape of an http(s) IRI: a plain host name, maybe a port. Anything else (user
#: info, IP literals, upper-case schemes, stray characters) goes through ``urlsplit``.
_PLAIN_AUTHORITY = re.compile(r"https?://([A-Za-z0-9.-]+(?::[0-9]*)?)(?:[/?#]|\Z)")


def _host(uri: object) -> str | None:
    """Return the lower-cased host[:port] of an http(s) IRI; None for anything else."""
    if not isinstance(uri, str) or not uri:
        return None
    if (plain := _PLAIN_AUTHORITY.match(uri)) is not None:
        return plain[1].lower()
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 literal, "https://[x/"
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.hostname else None


#: Key ids and actor IRIs repeat from request to request; their hosts are worth remembering.
_known_host = lru_cache(maxsize=4096)(_host)


@dataclass(frozen=True)
class _Parsed:
    activity: dict[str, Any]
    actor_uri: str
    actor_host: str
    id_host: str


def _parse(body: bytes) -> _Parsed | str:
    try:
        activity = storable_json(body)
    except UnstorableText as exc:
        return f"body is not storable: {exc}"
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return "body is not JSON"
    if not isinstance(activity, dict):
        return "body is not a JSON object"
    if not isinstance(activity.get("type"), str):
        return "activity has no type"
    id_host = _host(activity.get("id"))
    if id_host is None:
        return "activity has no http(s) id"
    actor_uri = get_id(activity.get("actor"))
    actor_host = _known_host(actor_uri) if isinstance(actor_uri, str) else None
    if actor_uri is None or actor_host is None:
        return "activity has no http(s) actor"
    if max(len(activity["id"]), len(actor_uri)) > _MAX_IRI:
        return f"activity id or actor longer than {_MAX_IRI} characters"
    return _Parsed(activity, actor_uri, actor_host, id_host)


async def accept_activity(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    resolver: KeyResolver,
    multikeys: MultikeyResolver,
    actors: ActorStore,
    store: InboxStore,
) -> InboxOutcome:
    """Return the outcome of one inbox POST whose body (≤ 1 MiB) was read by the caller."""
    parsed = _parse(body)
    if isinstance(parsed, str):
        return InboxOutcome("malformed", parsed)
    activity, actor_uri, actor_host = parsed.activity, parsed.actor_uri, parsed.actor_host
    object_uri = get_id(activity.get("object"))
    headers = fold_fields(headers)
    if "signature" not in headers:
        return InboxOutcome("unsigned", "the request carries no Signature header")
    if (
        activity["type"] == "Delete"
        and object_uri == actor_uri
        and not await actors.knows_actor(actor_uri)
    ):
        return InboxOutcome("unknown_actor_delete", "Delete of an actor we never knew")
    signed = parse_signature(method=method, url=url, headers=headers, now=now)
    if isinstance(signed, Verification):
        return InboxOutcome("bad_signature", signed.detail, check=signed.reason)
    if await store.is_blocked(_known_host(signed.key_id) or ""):
        return InboxOutcome("blocked", "the signer's domain is blocked")
    try:
        verification, key = await resolver.verify(signed, body=body)
    except KeyResolutionError as exc:
        return InboxOutcome("unknown_key", str(exc))
    if not verification.ok:
        return InboxOutcome("bad_signature", verification.detail, check=verification.reason)
    if key.actor_uri != actor_uri:
        return InboxOutcome("actor_mismatch", f"signed by {key.actor_uri}, not by {actor_uri}")
    if "proof" in activity:
        proved = await check_proofs(activity, controller=actor_uri, keys=multikeys, now=now)
        # A deleted account's document is gone with its keys: its Delete keeps the HTTP
        # signature by the key we hold, as one without a proof would.
        gone = proved.reason == "unknown_key" and activity["type"] == "Delete"
        if not proved.ok and not (gone and object_uri == actor_uri):
            return InboxOutcome("bad_proof", proved.detail, check=proved.reason)
    await store.host_is_alive(actor_host)
    embedded = activity.get("object")
    if (
        activity["type"] in ("Create", "Update")
        and isinstance(embedded, dict)
        and _host(object_uri) != actor_host
    ):
        return InboxOutcome("origin_mismatch", "the object's id is not on the actor's host")
    if parsed.id_host != actor_host:
        return InboxOutcome("origin_mismatch", "the activity's id is not on the actor's host")
    if await store.is_blocked(actor_host):
        return InboxOutcome("blocked", "the actor's domain is blocked")
    is_new = await store.record_incoming(
        uri=str(activity["id"]),
        type=str(activity["type"]),
        actor_uri=actor_uri,
        object_uri=object_uri,
        body=body,
    )
    return InboxOutcome("accepted" if is_new else "duplicate")
