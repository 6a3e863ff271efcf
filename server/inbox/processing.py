"""Side effects of accepted incoming activities, run by the inbox worker from the stored row.

Every activity ends applied (``done`` says what: "accepted", "stored", "rejected"…, an answer
sent included) or ignored with the reason recorded. An activity that does not spell its terms
as we do is first compacted against our context (``federation.jsonld``), off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federation.jsonld import needs_compaction, understood
from schemas.base import as_list, get_id
from server.domain.follows import handle_accept, handle_follow, handle_reject, handle_undo_follow
from server.domain.interactions import (
    handle_interaction,
    handle_note_delete,
    handle_undo_interaction,
)
from server.domain.pledge_offers import handle_offer, handle_offer_answer, handle_undo_offer
from server.domain.remote_actors import handle_actor_delete, handle_actor_update
from server.domain.remote_declarations import is_declaration_note, store_remote_declaration
from server.domain.remote_objects import (
    RemoteObjectError,
    handle_remote_delete,
    is_communs_note,
    store_remote_object,
)
from server.urls import Urls

log = logging.getLogger("communs.processing")

__all__ = ["NOTHING_UNDONE", "NOT_OURS", "Processed", "outcome", "process_activity"]

#: Why an interaction was ignored, and why an Undo was (one wording, however applied).
NOT_OURS = "it is not about one of our projects or funding calls"
NOTHING_UNDONE = "nothing of its actor's matches what it undoes"


@dataclass(frozen=True)
class Processed:
    """What processing one activity did: ``done`` names it ("ignored" when nothing was), and
    ``reason`` says why nothing was."""

    done: str
    reason: str | None = None

    @property
    def ignored(self) -> bool:
        return self.done == "ignored"


def outcome(done: str, reason: str) -> Processed:
    """Return ``done`` as an outcome, with ``reason`` when it is "ignored"."""
    return Processed(done, reason if done == "ignored" else None)


async def process_activity(
    session: AsyncSession, urls: Urls, activity: dict[str, Any], *, today: date
) -> Processed:
    """Apply one activity and say what was done, or why nothing was.

    ``today`` is the UTC date that pledges and withdrawals are checked against.
    """
    if needs_compaction(activity):
        activity = await asyncio.to_thread(understood, activity)
    kind = activity.get("type")
    if not isinstance(kind, str):
        return Processed("ignored", "the activity has no single type")
    signer = str(get_id(activity.get("actor")))
    target = activity.get("object")
    if kind == "Follow":
        done = await handle_follow(session, urls, activity)
        return outcome(done, "the Follow is not for an actor of ours, or its follower is gone")
    if kind == "Offer":
        done = await handle_offer(session, urls, activity, today=today)
        return outcome(done, "the Offer is not for one of our funding calls, or its actor is gone")
    if kind in ("Accept", "Reject"):
        answered = await handle_offer_answer(session, signer, activity, accepted=kind == "Accept")
        if answered != "ignored":
            return Processed(answered)
        handle = handle_accept if kind == "Accept" else handle_reject
        done = await handle(session, signer, target)
        return outcome(done, f"the {kind} matches none of our follows or pledges")
    if kind == "Undo":
        return await _undo(session, urls, signer, target, today=today)
    if kind == "Update" and isinstance(target, dict) and get_id(target) == signer:
        done = await handle_actor_update(session, signer, target)
        return outcome(done, "the actor is unknown, its document unusable or its key another's")
    if kind == "Delete" and get_id(target) == signer:
        done = await handle_actor_delete(session, signer)
        return outcome(done, "the actor is unknown or already deleted")
    if kind in ("Create", "Update") and (is_communs_note(target) or is_declaration_note(target)):
        assert isinstance(target, dict)
        store = store_remote_object if is_communs_note(target) else store_remote_declaration
        try:
            done = await store(session, signer, target)
        except RemoteObjectError as exc:
            log.info("refused %s from %s: %s", kind, signer, exc)
            return Processed("ignored", str(exc))
        return outcome(done, "its author is not followed here, or it is not newer than ours")
    if kind in ("Like", "Announce", "Create"):
        done = await handle_interaction(session, urls, activity)
        return outcome(done, NOT_OURS)
    if kind == "Delete":
        if await handle_remote_delete(session, signer, target) == "deleted":
            return Processed("deleted")
        done = await handle_note_delete(session, signer, target)
        return outcome(done, "nothing of its actor's matches what it deletes")
    return Processed("ignored", f"{kind[:64]} is not an activity we act on")


async def _undo(
    session: AsyncSession, urls: Urls, signer: str, target: Any, *, today: date
) -> Processed:
    """Undo the pledge, the like or boost, or the follow an ``Undo`` names."""
    if get_id(target) is None and not isinstance(target, dict):
        return Processed("ignored", "the Undo names nothing to undo")
    if await handle_undo_offer(session, urls, signer, target, today=today) == "withdrawn":
        return Processed("withdrawn")
    undone = await handle_undo_interaction(session, signer, target)
    if undone == "ignored" and (
        not isinstance(target, dict) or "Follow" in as_list(target.get("type"))
    ):
        undone = await handle_undo_follow(session, signer, target)
    return outcome(undone, NOTHING_UNDONE)
