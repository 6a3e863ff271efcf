"""Side effects of accepted incoming activities, run by the inbox worker from the stored row."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import get_id
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

__all__ = ["process_activity"]


async def process_activity(
    session: AsyncSession, urls: Urls, activity: dict[str, Any], *, today: date
) -> str:
    """Apply one activity; return a short word for what was done ("ignored" when nothing).

    ``today`` is the UTC date that pledges and withdrawals are checked against.
    """
    kind = activity.get("type")
    signer = str(get_id(activity.get("actor")))
    target = activity.get("object")
    if kind == "Follow":
        return await handle_follow(session, urls, activity)
    if kind == "Offer":
        return await handle_offer(session, urls, activity, today=today)
    if kind in ("Accept", "Reject"):
        answered = await handle_offer_answer(session, signer, activity, accepted=kind == "Accept")
        if answered != "ignored":
            return answered
        handle = handle_accept if kind == "Accept" else handle_reject
        return await handle(session, signer, target)
    if (
        kind == "Undo"
        and await handle_undo_offer(session, urls, signer, target, today=today) == "withdrawn"
    ):
        return "withdrawn"
    if kind == "Undo":
        undone = await handle_undo_interaction(session, signer, target)
        if undone != "ignored" or (isinstance(target, dict) and target.get("type") != "Follow"):
            return undone
        return await handle_undo_follow(session, signer, target)
    if kind == "Update" and isinstance(target, dict) and get_id(target) == signer:
        return await handle_actor_update(session, signer, target)
    if kind == "Delete" and get_id(target) == signer:
        return await handle_actor_delete(session, signer)
    if kind in ("Create", "Update") and (is_communs_note(target) or is_declaration_note(target)):
        assert isinstance(target, dict)
        store = store_remote_object if is_communs_note(target) else store_remote_declaration
        try:
            return await store(session, signer, target)
        except RemoteObjectError as exc:
            log.info("refused %s from %s: %s", kind, signer, exc)
            return "ignored"
    if kind in ("Like", "Announce", "Create"):
        return await handle_interaction(session, urls, activity)
    if kind == "Delete":
        if await handle_remote_delete(session, signer, target) == "deleted":
            return "deleted"
        return await handle_note_delete(session, signer, target)
    return "ignored"
