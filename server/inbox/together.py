"""Which claimed activities the inbox worker applies set-wise, in what groups, and how.

Likes, boosts, replies and the Undos of likes and boosts are half of what an instance
receives, and one by one each cost a transaction of a few statements. A group of them costs
one query for the targets, one ``INSERT … ON CONFLICT DO NOTHING`` and one ``DELETE``, and
ends exactly as applying its members one by one in arrival order would (the property test of
``tests/server/test_inbox_groups.py``), because a group only holds activities that commute:

- no two members name the same interaction (a duplicate, or an Undo after its Like, starts a
  new group, so the Like is stored before it is undone, and an Undo before its Like finds
  nothing);
- an activity applied alone in the middle of a group leaves interactions alone (a Follow, an
  Offer, a remote object…), so the group may run after it; one that may not (a Delete, or
  one read through JSON-LD compaction) ends the group first;
- an Undo that removes nothing may be a Follow's or an Offer's: it is applied alone, by the
  one-by-one path, and a group holding Undos ends before any activity applied alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federation.jsonld import needs_compaction
from schemas.base import as_list, get_id
from server.domain.interactions import (
    Received,
    received_interaction,
    store_interactions,
    undo_interactions,
)
from server.domain.remote_declarations import is_declaration_note
from server.domain.remote_objects import is_communs_note
from server.inbox.processing import NOT_OURS, Processed, outcome
from server.urls import Urls

__all__ = ["Claimed", "Member", "apply_together", "plan"]

#: What an activity applied alone may be, in the middle of a group of interactions without
#: ending it: none of these reads or writes interactions.
_COMMUTING = frozenset({"Follow", "Offer", "Accept", "Reject", "Create", "Update"})


@dataclass(frozen=True)
class Claimed:
    """A stored incoming activity the worker claimed."""

    activity_id: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class Member:
    """An activity of a group: an interaction to store, or the (uri, signer) of one to undo."""

    claimed: Claimed
    received: Received | None = None
    undone: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        """The interaction this member names."""
        if self.received is not None:
            return self.received.uri
        assert self.undone is not None
        return self.undone[0]


def _document(body: bytes) -> dict[str, Any] | None:
    """Return the stored activity as a dictionary (None if it is not one)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def member_of(claimed: Claimed, document: dict[str, Any] | None) -> Member | None:
    """Return the activity as a member of a group, or None when it is applied alone."""
    if document is None or needs_compaction(document):
        return None
    kind = document.get("type")
    target = document.get("object")
    if kind == "Undo":
        uri = get_id(target)
        types = as_list(target.get("type")) if isinstance(target, dict) else []
        if not isinstance(uri, str) or not (
            isinstance(target, str) or "Like" in types or "Announce" in types
        ):
            return None
        return Member(claimed, undone=(uri, str(get_id(document.get("actor")))))
    if kind not in ("Like", "Announce", "Create") or (kind != "Create" and "id" not in document):
        return None  # a Like or boost is named by its id: without one it fails alone
    if kind == "Create" and (is_communs_note(target) or is_declaration_note(target)):
        return None
    received = received_interaction(document)
    return None if received is None else Member(claimed, received=received)


def plan(rows: Sequence[Claimed]) -> list[Claimed | list[Member]]:
    """Return the claimed rows, in arrival order, as steps: a row applied alone, or a group
    applied together (placed after the rows applied alone that it commutes with)."""
    steps: list[Claimed | list[Member]] = []
    group: list[Member] = []
    for claimed in rows:
        document = _document(claimed.body)
        member = member_of(claimed, document)
        if member is None:
            if group and not _commutes(group, document):
                steps.append(group)
                group = []
            steps.append(claimed)
        else:
            if any(other.key == member.key for other in group):
                steps.append(group)
                group = []
            group.append(member)
    if group:
        steps.append(group)
    return steps


def _commutes(group: list[Member], document: dict[str, Any] | None) -> bool:
    """Whether an activity applied alone may run before the group that arrived before it."""
    return (
        document is not None
        and not needs_compaction(document)
        and document.get("type") in _COMMUTING
        and all(member.undone is None for member in group)
    )


async def apply_together(
    session: AsyncSession, urls: Urls, group: Sequence[Member]
) -> list[Processed | None]:
    """Apply a group in a few statements; return each member's outcome, None for an Undo
    that removed no like or boost (it is applied alone, as a Follow's or an Offer's may be).

    The caller commits; a failure leaves the whole group to be applied one by one.
    """
    stored = iter(
        await store_interactions(
            session, urls, [member.received for member in group if member.received]
        )
    )
    removed = await undo_interactions(session, [member.undone for member in group if member.undone])
    outcomes: list[Processed | None] = []
    for member in group:
        if member.received is not None:
            outcomes.append(outcome(next(stored), NOT_OURS))
        else:
            outcomes.append(Processed("removed") if member.undone in removed else None)
    return outcomes
