"""FEP-8b32 Object Integrity Proofs with the ``eddsa-jcs-2022`` cryptosuite.

Signing (W3C Data Integrity EdDSA, §3.3): the proof configuration (``type``, ``cryptosuite``,
``verificationMethod``, ``proofPurpose``, ``created`` and the document's ``@context``) and the
document without its ``proof`` are each canonicalised with JCS (RFC 8785) and hashed with
SHA-256; Ed25519 signs the two hashes, configuration first, and ``proofValue`` is the
signature in multibase base58btc. Anyone holding the document and the signer's public key can
check it: no HTTP exchange is involved. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from federation.multikeys import decode_base58btc, encode_base58btc
from schemas.base import as_list

__all__ = [
    "CRYPTOSUITE",
    "MAX_PROOFS",
    "Proof",
    "ProofCheck",
    "canonical",
    "proofs_of",
    "sign_document",
    "verify_proof",
]

CRYPTOSUITE: Final = "eddsa-jcs-2022"
#: More proofs than this on one document are refused (each may cost a key fetch).
MAX_PROOFS: Final = 4

ProofReason = Literal["malformed", "unsupported", "bad_context"]


@dataclass(frozen=True)
class ProofCheck:
    """Why a document's proofs cannot be checked."""

    reason: ProofReason
    detail: str = ""


@dataclass(frozen=True)
class Proof:
    """One proof of a document, as read from it."""

    verification_method: str
    #: The proof without ``proofValue``: what the configuration is made of.
    options: dict[str, Any]
    signature: bytes


def canonical(value: Any) -> bytes:
    """Return the JCS (RFC 8785) form of a JSON value.

    Raises ``ValueError`` for what JCS cannot represent (NaN, integers beyond 2**53, deep
    nesting).
    """
    try:
        return rfc8785.dumps(value)
    except RecursionError:
        raise ValueError("document nested too deeply") from None


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    """Return SHA-256(JCS(proof configuration)) ‖ SHA-256(JCS(document without proof))."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = dict(options)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return (
        hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(unsecured)).digest()
    )


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_document(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of ``document`` carrying one more ``DataIntegrityProof`` made with ``key``.

    ``created`` is written at second precision (``…:38Z``), as Fedify reads it back. A
    document that already has proofs gets a proof set (each proof signs it without them).
    """
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": _timestamp(created),
    }
    signature = key.sign(_hash_data(document, options))
    proof = {**options, "proofValue": "z" + encode_base58btc(signature)}
    earlier = as_list(document.get("proof"))
    return {**document, "proof": [*earlier, proof] if earlier else proof}


def _read(proof: Any) -> Proof | ProofCheck:
    if not isinstance(proof, dict):
        return ProofCheck("malformed", "a proof is not an object")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck("unsupported", f"only DataIntegrityProof with {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofCheck("unsupported", "proofPurpose must be assertionMethod")
    method, value = proof.get("verificationMethod"), proof.get("proofValue")
    if not isinstance(method, str) or not isinstance(value, str) or not value.startswith("z"):
        return ProofCheck("malformed", "a proof needs a verificationMethod and a z… proofValue")
    try:
        signature = decode_base58btc(value[1:])
    except ValueError as exc:
        return ProofCheck("malformed", f"proofValue: {exc}")
    if len(signature) != 64:
        return ProofCheck("malformed", "proofValue is not an Ed25519 signature")
    return Proof(verification_method=method, options=options, signature=signature)


def _context_prefix(document: dict[str, Any], proof: Proof) -> ProofCheck | None:
    """A proof that names a ``@context`` must name the start of the document's (§3.3.2)."""
    if "@context" not in proof.options:
        return None
    named = as_list(proof.options["@context"])
    if as_list(document.get("@context"))[: len(named)] != named:
        return ProofCheck("bad_context", "the proof's @context does not start the document's")
    return None


def proofs_of(document: dict[str, Any]) -> list[Proof] | ProofCheck:
    """Return the proofs ``document`` carries (none without ``proof``), or why they cannot be
    checked: not ``eddsa-jcs-2022`` assertions, malformed, or more than ``MAX_PROOFS``."""
    found = as_list(document.get("proof"))
    if len(found) > MAX_PROOFS:
        return ProofCheck("malformed", f"more than {MAX_PROOFS} proofs")
    proofs = []
    for item in found:
        proof = _read(item)
        if isinstance(proof, ProofCheck):
            return proof
        if (wrong := _context_prefix(document, proof)) is not None:
            return wrong
        proofs.append(proof)
    return proofs


def verify_proof(document: dict[str, Any], proof: Proof, key: Ed25519PublicKey) -> bool:
    """Whether ``proof`` (one of ``proofs_of(document)``) is ``key``'s signature of
    ``document`` as it stands.

    A Linked Data Signature (``signature``, as Mastodon and Fedify add after the proof) is
    left out first, as FEP-8b32 requires.
    """
    unsecured = {k: v for k, v in document.items() if k != "signature"}
    if "@context" in proof.options:
        unsecured["@context"] = proof.options["@context"]
    try:
        key.verify(proof.signature, _hash_data(unsecured, proof.options))
    except (InvalidSignature, ValueError):
        return False
    return True
