"""The fan-out query: one delivery row per distinct inbox of an actor's accepted followers.

It is written so that its plan does not depend on the planner's statistics. A bulk import into
a fresh PostgreSQL database leaves none, and the planner then weighs ``actor`` and ``follow`` as
nearly empty: it once chose to loop over every actor for every follow (15 s for 20 000
followers, docs/performance.md). Here the actor's follows are read first, and each follower is
then looked up by its primary key in a ``LATERAL`` subquery that ``OFFSET 0`` keeps from being
flattened into the join, so the cost follows the follows whatever the statistics say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, func, insert, literal, select, true
from sqlmodel import col

from schemas.states import DeliveryState, DomainBlock, FollowState
from server.storage.db import UTCDateTime
from server.storage.models import Actor, Delivery, Domain, Follow

__all__ = ["fanout_statement"]

_COLUMNS = [
    "activity_id",
    "inbox_uri",
    "host",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
]


def fanout_statement(activity_id: str, actor_id: int, now: datetime, *, dialect: str) -> Insert:
    """Return the ``INSERT … SELECT`` enqueueing ``activity_id`` to every accepted remote
    follower of ``actor_id`` (shared inbox when there is one), skipping rejected and
    unavailable hosts, for the database ``dialect`` (``postgresql`` or ``sqlite``).

    SQLite has no ``LATERAL``; its planner starts from the table its ``WHERE`` narrows by an
    index (the follows) whether or not it has statistics, so a plain join serves it.
    """
    follows = (
        select(Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == FollowState.accepted)
        .subquery("follows")
    )
    inbox = func.coalesce(Actor.shared_inbox_uri, Actor.inbox_uri)
    followers: Any
    inbox_of: Any
    domain_of: Any
    if dialect == "postgresql":  # a fence: looked up per follow, never joined the other way
        lookup: Any = select(inbox.label("inbox"), col(Actor.domain).label("domain")).where(
            Actor.id == follows.c.follower_id, Actor.is_local == False
        )
        follower = lookup.offset(0).lateral("follower")
        followers = select().select_from(follows).join(follower, true())
        inbox_of, domain_of = follower.c.inbox, follower.c.domain
    else:
        followers = (
            select()
            .select_from(follows)
            .join(Actor, (Actor.id == follows.c.follower_id) & (Actor.is_local == False))
        )
        inbox_of, domain_of = inbox, Actor.domain
    rows = (
        followers.add_columns(
            literal(activity_id),
            inbox_of,
            func.min(domain_of),
            literal(DeliveryState.pending.value),
            literal(0),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .outerjoin(Domain, Domain.host == domain_of)
        .where(
            inbox_of.is_not(None),
            (Domain.host == None)
            | ((Domain.block != DomainBlock.reject) & (Domain.is_unavailable == False)),
        )
        .group_by(inbox_of)
    )
    return insert(Delivery).from_select(_COLUMNS, rows)
