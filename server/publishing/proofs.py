"""Object Integrity Proofs on the receipts we publish and serve (FEP-8b32, ``eddsa-jcs-2022``).

A third party holding only the JSON can check them against the signer's actor document. They
are added where a document is serialised once — ``publish()`` for activities, so never per
recipient — to what someone may need to check later: the ``Create`` and ``Update`` of a
funding call (its figures), our ``Offer`` of a pledge and its withdrawal (``Undo{Offer}``), the
call owner's ``Accept`` or ``Reject`` of one, and the Pledges we serve.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.keys import load_private_key
from federation.proofs import sign_document
from schemas.context import AS2, with_data_integrity
from server.storage.models import Actor

__all__ = ["needs_proof", "signed"]


def _embedded(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def needs_proof(document: dict[str, Any]) -> bool:
    """Whether an outgoing activity is one of the receipts that carry a proof."""
    kind, embedded = document.get("type"), _embedded(document.get("object"))
    if kind in ("Create", "Update"):
        return embedded.get("objectType") == "FundingCall"
    if kind == "Offer":
        return embedded.get("objectType") == "Pledge"
    if kind in ("Accept", "Reject", "Undo"):
        return embedded.get("type") == "Offer"
    return False


def _assertion_key(actor: Actor) -> tuple[str, Ed25519PrivateKey]:
    """Return the id and private half of a local actor's Ed25519 key (loaded once)."""
    if actor.assertion_key_id is None or actor.assertion_private_key_pem is None:
        raise ValueError(f"{actor.uri} has no Ed25519 key")
    key = load_private_key(actor.assertion_private_key_pem)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{actor.uri}'s assertion key is not Ed25519")
    return actor.assertion_key_id, key


def signed(
    document: dict[str, Any], actors: Iterable[Actor], *, created: datetime
) -> dict[str, Any]:
    """Return ``document`` with the Data Integrity context and one proof by each of ``actors``
    (local actors, each with its Ed25519 key)."""
    context = with_data_integrity(document.get("@context", AS2))
    result = {"@context": context, **{k: v for k, v in document.items() if k != "@context"}}
    for actor in actors:
        key_id, key = _assertion_key(actor)
        result = sign_document(result, key, verification_method=key_id, created=created)
    return result
