"""What a third party does with our receipts: check a proof with nothing but JSON documents."""

from __future__ import annotations

from typing import Any

from federation.errors import KeyResolutionError
from federation.multikeys import assertion_key
from federation.proofs import proofs_of, verify_proof
from server.clock import utcnow


def proven_by(document: dict[str, Any], actor_document: dict[str, Any]) -> bool:
    """Whether ``document`` carries a proof that the actor's listed Ed25519 key verifies.

    Only JSON is used: the signed document and the actor's document, as anyone can hold them.
    """
    proofs = proofs_of(document)
    if not isinstance(proofs, list):
        return False
    for proof in proofs:
        try:
            key = assertion_key(actor_document, proof.verification_method, now=utcnow())
        except KeyResolutionError:
            continue
        if verify_proof(document, proof, key):
            return True
    return False


def signers(document: dict[str, Any]) -> list[str]:
    """Return the ``verificationMethod`` of each proof a document carries."""
    proofs = proofs_of(document)
    return [p.verification_method for p in proofs] if isinstance(proofs, list) else []
