"""Inbox acceptance: authenticate, de-duplicate, store, answer — nothing else (DESIGN.md §3).

Checks run in the order of issue #3 so that a refused request touches nothing: JSON shape (400),
signature and key (401), signer = actor and same-origin objects (401/403), domain blocks
(202, dropped), duplicates (202, stored once). Side effects happen later, in a worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from federation.actors import KeyResolver
from federation.errors import KeyResolutionError
from federation.httpsig import Verification, parse_signature, verify_signature
from federation.ports import ActorStore, InboxStore
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
    "origin_mismatch": 403,
}


@dataclass(frozen=True)
class InboxOutcome:
    """What the inbox answers, and why."""

    reason: InboxReason
    detail: str = ""

    @property
    def status(self) -> int:
        return _STATUS[self.reason]


def _host(uri: object) -> str | None:
    """Return the lower-cased host[:port] of an http(s) IRI; None for anything else."""
    if not isinstance(uri, str) or not uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 literal, "https://[x/"
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.hostname else None


def _parse(body: bytes) -> dict[str, Any] | str:
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return "body is not JSON"
    if not isinstance(activity, dict):
        return "body is not a JSON object"
    if not isinstance(activity.get("type"), str):
        return "activity has no type"
    if _host(activity.get("id")) is None:
        return "activity has no http(s) id"
    if _host(get_id(activity.get("actor"))) is None:
        return "activity has no http(s) actor"
    if max(len(activity["id"]), len(str(get_id(activity["actor"])))) > _MAX_IRI:
        return f"activity id or actor longer than {_MAX_IRI} characters"
    return activity


async def accept_activity(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    resolver: KeyResolver,
    actors: ActorStore,
    store: InboxStore,
) -> InboxOutcome:
    """Return the outcome of one inbox POST whose body (≤ 1 MiB) was read by the caller."""
    parsed = _parse(body)
    if isinstance(parsed, str):
        return InboxOutcome("malformed", parsed)
    activity = parsed
    actor_uri = str(get_id(activity["actor"]))
    object_uri = get_id(activity.get("object"))
    if not any(name.lower() == "signature" for name in headers):
        return InboxOutcome("unsigned", "the request carries no Signature header")
    if (
        activity["type"] == "Delete"
        and object_uri == actor_uri
        and not await actors.knows_actor(actor_uri)
    ):
        return InboxOutcome("unknown_actor_delete", "Delete of an actor we never knew")
    signed = parse_signature(method=method, url=url, headers=headers, now=now)
    if isinstance(signed, Verification):
        return InboxOutcome("bad_signature", f"{signed.reason}: {signed.detail}".rstrip(": "))
    if await store.is_blocked(_host(signed.key_id) or ""):
        return InboxOutcome("blocked", "the signer's domain is blocked")
    try:
        key = await resolver.resolve(signed.key_id)
        verification = verify_signature(signed, key.public_key, body=body)
        if not verification.ok and key.cached and verification.reason == "bad_signature":
            key = await resolver.resolve(signed.key_id, refresh=True)
            verification = verify_signature(signed, key.public_key, body=body)
    except KeyResolutionError as exc:
        return InboxOutcome("unknown_key", str(exc))
    if not verification.ok:
        return InboxOutcome("bad_signature", f"{verification.reason}: {verification.detail}")
    if key.actor_uri != actor_uri:
        return InboxOutcome("actor_mismatch", f"signed by {key.actor_uri}, not by {actor_uri}")
    actor_host = _host(actor_uri)
    await store.host_is_alive(actor_host or "")
    embedded = activity.get("object")
    if (
        activity["type"] in ("Create", "Update")
        and isinstance(embedded, dict)
        and _host(object_uri) != actor_host
    ):
        return InboxOutcome("origin_mismatch", "the object's id is not on the actor's host")
    if _host(str(activity["id"])) != actor_host:
        return InboxOutcome("origin_mismatch", "the activity's id is not on the actor's host")
    if await store.is_blocked(actor_host or ""):
        return InboxOutcome("blocked", "the actor's domain is blocked")
    is_new = await store.record_incoming(
        uri=str(activity["id"]),
        type=str(activity["type"]),
        actor_uri=actor_uri,
        object_uri=object_uri,
        body=body,
    )
    return InboxOutcome("accepted" if is_new else "duplicate")
