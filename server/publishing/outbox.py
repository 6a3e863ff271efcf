"""Publishing: one transaction writes the activity (bytes serialised once, receipts signed
once) and its deliveries.

Delivery rows are computed set-wise in SQL from the follow table — one per distinct inbox, the
shared inbox when the follower's server has one — so memory stays flat however many followers an
actor has (docs/architecture.md, "The two paths" and "Scaling"; the query is
``server.publishing.fanout``). Local followers read the database
directly and need no delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.base import as_list
from schemas.context import AS2_PUBLIC
from schemas.states import ActivityState, DomainBlock
from server.clock import utcnow
from server.publishing.fanout import fanout_statement
from server.publishing.proofs import needs_proof, signed
from server.storage.domains import block_rules, rule_for
from server.storage.models import Activity, Actor, Delivery
from server.storage.notify import announce_deliveries
from server.urls import Urls, new_id

__all__ = ["dump", "new_activity", "publish"]


def dump(document: dict[str, Any]) -> bytes:
    """Serialise a document once; these bytes are what is signed, stored and served."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def new_activity(urls: Urls, type: str, actor: Actor, object: Any, **extra: Any) -> dict[str, Any]:
    """Return a new activity document with a fresh, dereferenceable, fragment-free id."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": urls.activity(new_id()),
        "type": type,
        "actor": actor.uri,
        "object": object,
        **extra,
    }


def _object_uri(document: dict[str, Any]) -> str | None:
    value = document.get("object")
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


async def publish(
    session: AsyncSession,
    actor: Actor,
    document: dict[str, Any],
    *,
    to_followers: bool = False,
    inboxes: Iterable[str] = (),
) -> Activity:
    """Store an outgoing activity and enqueue its deliveries; the caller commits.

    ``to_followers`` fans out to every accepted remote follower's (shared) inbox; ``inboxes``
    adds personal inboxes (Accept, Follow, Offer…). Receipts (``needs_proof``) are signed
    here with the actor's Ed25519 key, once for every recipient.
    """
    assert actor.id is not None
    now = utcnow()
    if needs_proof(document):
        document = signed(document, [actor], created=now)
    activity_id = str(document["id"]).rsplit("/", 1)[-1]
    audience = [*as_list(document.get("to")), *as_list(document.get("cc"))]
    activity = Activity(
        id=activity_id,
        uri=str(document["id"]),
        type=str(document["type"]),
        actor_uri=actor.uri,
        object_uri=_object_uri(document),
        direction="out",
        local_actor_id=actor.id,
        is_public=AS2_PUBLIC in audience,
        body=dump(document),
        state=ActivityState.sent,
        created_at=now,
    )
    session.add(activity)
    await session.flush()
    if to_followers:
        dialect = session.get_bind().dialect.name
        await session.execute(fanout_statement(activity_id, actor.id, now, dialect=dialect))
    targets = list(dict.fromkeys(inboxes))
    if to_followers and targets:  # one delivery per inbox: skip those the fan-out queued
        queued = set(
            (
                await session.execute(
                    select(Delivery.inbox_uri).where(
                        Delivery.activity_id == activity_id, col(Delivery.inbox_uri).in_(targets)
                    )
                )
            ).scalars()
        )
        targets = [inbox for inbox in targets if inbox not in queued]
    hosts = {inbox: urlsplit(inbox).netloc.lower() for inbox in targets}
    rules = await block_rules(session, hosts.values())
    for inbox, host in hosts.items():
        if rule_for(rules, host) == DomainBlock.reject:
            continue
        session.add(
            Delivery(
                activity_id=activity_id,
                inbox_uri=inbox,
                host=host,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    if to_followers or targets:
        await announce_deliveries(session)
    return activity
