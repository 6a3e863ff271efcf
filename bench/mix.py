"""The activities remote servers send a Communs instance, in the proportions of a busy day.

Per ten: two Likes and an Announce of a local project, two replies to it, a Follow of the local
actor and the Undo of an earlier one, a remote project's Create or Update, a remote funding
call's Create or Update, and an Offer of a pledge to the local call.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Target", "activity_mix", "like"]

AS2 = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS2}#Public"


class Target:
    """The local objects the mix is aimed at."""

    def __init__(self, *, actor: str, project: str, call: str) -> None:
        self.actor = actor
        self.project = project
        self.call = call


def like(actor: str, object_uri: str, tag: str) -> dict[str, Any]:
    """Return a Like of ``object_uri`` by ``actor`` with an id unique to ``tag``."""
    return {
        "@context": AS2,
        "id": f"{actor}/likes/{tag}",
        "type": "Like",
        "actor": actor,
        "object": object_uri,
    }


def _note(actor: str, kind: str, number: int, tag: str, update: bool) -> dict[str, Any]:
    money = {"type": "MonetaryAmount", "currency": "EUR"}
    uri = f"{actor}/{kind}/{tag}-{number}"
    note: dict[str, Any] = {
        "id": uri,
        "type": "Note",
        "attributedTo": actor,
        "url": uri,
        "published": "2026-11-01T10:00:00Z",
        "updated": "2026-11-02T10:00:00Z" if update else "2026-11-01T10:00:00Z",
        "to": [PUBLIC],
        "name": f"Commun {number}" + (" (revu)" if update else ""),
        "content": "<p>Un commun à financer, réparé et partagé.</p>",
    }
    if kind == "projects":
        return note | {"objectType": "Project", "status": "active", "license": "MIT"}
    return note | {
        "objectType": "FundingCall",
        "status": "open",
        "goal": money | {"value": "50000.00"},
        "raised": money | {"value": "1250.00"},
        "raisedBySector": {"public": money | {"value": "1250.00"}},
        "endTime": "2027-12-01T23:59:59Z",
    }


def activity_mix(target: Target, signers: list[str], count: int, tag: str) -> list[dict[str, Any]]:
    """Return ``count`` activities from ``signers`` in turn, ids unique to ``tag``."""
    documents: list[dict[str, Any]] = []
    follows: list[dict[str, Any]] = []
    for index in range(count):
        actor = signers[index % len(signers)]
        base = f"{actor}/activities/{tag}-{index}"
        slot = index % 10
        if slot in (0, 1):
            document = like(actor, target.project, f"{tag}-{index}")
        elif slot == 2:
            document = {
                "id": base,
                "type": "Announce",
                "actor": actor,
                "object": target.project,
                "to": [PUBLIC],
            }
        elif slot in (3, 4):
            reply = {
                "id": f"{actor}/statuses/{tag}-{index}",
                "type": "Note",
                "attributedTo": actor,
                "inReplyTo": target.project,
                "to": [PUBLIC],
                "content": "<p>Bravo pour ce commun !</p>",
            }
            document = {
                "id": base,
                "type": "Create",
                "actor": actor,
                "object": reply,
                "to": [PUBLIC],
            }
        elif slot == 5:
            document = {"id": base, "type": "Follow", "actor": actor, "object": target.actor}
            follows.append(document)
        elif slot == 6 and follows:
            earlier = follows.pop(0)  # undone by its own actor, from its own host
            document = {
                "id": f"{earlier['actor']}/activities/{tag}-{index}",
                "type": "Undo",
                "actor": earlier["actor"],
                "object": {k: v for k, v in earlier.items() if k != "@context"},
            }
        elif slot in (6, 7, 8):
            kind = "projects" if slot == 7 else "funding-calls"
            number = index // 20  # each object is created, then updated ten activities on
            update = index % 20 >= 10
            note = _note(actor, kind, number, tag, update)
            document = {
                "id": base,
                "type": "Update" if update else "Create",
                "actor": actor,
                "object": note,
                "to": [PUBLIC],
            }
        else:
            pledge = {
                "id": f"{actor}/pledges/{tag}-{index}",
                "type": "Object",
                "objectType": "Pledge",
                "attributedTo": actor,
                "fundingCall": target.call,
                "sector": "civil_society",
                "amount": {"type": "MonetaryAmount", "value": "40.00", "currency": "EUR"},
            }
            document = {
                "id": base,
                "type": "Offer",
                "actor": actor,
                "object": pledge,
                "target": target.call,
            }
        documents.append({"@context": AS2, **document} if "@context" not in document else document)
    return documents
