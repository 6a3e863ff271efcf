"""Checking the Object Integrity Proofs of what we receive (FEP-8b32).

Each proof names its key (``verificationMethod``); the key must be an Ed25519 ``Multikey`` the
activity's actor lists in ``assertionMethod`` of its own document (FEP-521a), fetched once and
then kept like RSA keys: in memory, then in the database, then a signed GET of the actor. A
cached key that fails is fetched again once, in case the actor replaced it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.actors import http_uri
from federation.errors import FederationError, KeyResolutionError
from federation.fetch import Fetcher
from federation.multikeys import assertion_key, load_multikey, public_key_multibase
from federation.ports import KnownMultikey, MultikeyStore
from federation.proofs import Proof, ProofCheck, proofs_of, verify_proof

__all__ = ["MultikeyResolver", "ProofVerification", "ResolvedMultikey", "check_proofs"]

ProofVerificationReason = Literal[
    "verified", "malformed", "unsupported", "bad_context", "unknown_key", "bad_proof"
]


@dataclass(frozen=True)
class ProofVerification:
    """Whether every proof of a document holds, and why not."""

    reason: ProofVerificationReason
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == "verified"


@dataclass(frozen=True)
class ResolvedMultikey:
    """An assertion key and where it came from (``cached`` keys may be stale)."""

    key_id: str
    controller: str
    public_key: Ed25519PublicKey
    cached: bool


class MultikeyResolver:
    """Turns a proof's ``verificationMethod`` into its controller's Ed25519 key."""

    def __init__(self, store: MultikeyStore, fetcher: Fetcher, *, cache_size: int = 10_000) -> None:
        self._store = store
        self._fetcher = fetcher
        self._cache: OrderedDict[str, KnownMultikey] = OrderedDict()
        self._cache_size = cache_size

    async def resolve(
        self, key_id: str, *, controller: str, now: datetime, refresh: bool = False
    ) -> ResolvedMultikey:
        """Return ``controller``'s assertion key ``key_id``; with ``refresh``, fetch it again.

        Raises ``KeyResolutionError`` when ``controller`` lists no usable key of that id.
        """
        if not refresh:
            known = self._cache.get(key_id) or await self._store.find_multikey(controller)
            if known is not None and known.key_id == key_id and known.controller == controller:
                self._remember(known)
                return self._resolved(known, cached=True)
        known = await self._fetch(key_id, controller, now)
        self._remember(known)
        return self._resolved(known, cached=False)

    async def verify(
        self, document: dict[str, Any], proof: Proof, *, controller: str, now: datetime
    ) -> bool:
        """Whether ``proof`` of ``document`` holds with ``controller``'s key.

        A cached key that does not verify it is fetched again, once: its actor may have
        replaced it.

        Raises ``KeyResolutionError`` when ``controller`` lists no usable key of that id.
        """
        method = proof.verification_method
        key = await self.resolve(method, controller=controller, now=now)
        if verify_proof(document, proof, key.public_key):
            return True
        if not key.cached:
            return False
        key = await self.resolve(method, controller=controller, now=now, refresh=True)
        return verify_proof(document, proof, key.public_key)

    @staticmethod
    def _resolved(known: KnownMultikey, *, cached: bool) -> ResolvedMultikey:
        try:
            public_key = load_multikey(known.public_key_multibase)
        except ValueError as exc:
            raise KeyResolutionError(f"stored key {known.key_id}: {exc}") from None
        return ResolvedMultikey(known.key_id, known.controller, public_key, cached)

    def _remember(self, known: KnownMultikey) -> None:
        self._cache[known.key_id] = known
        self._cache.move_to_end(known.key_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _fetch(self, key_id: str, controller: str, now: datetime) -> KnownMultikey:
        if http_uri(key_id) is None or http_uri(controller) is None:
            raise KeyResolutionError(f"unsupported key id {key_id!r}")
        if urlsplit(key_id).netloc.lower() != urlsplit(controller).netloc.lower():
            raise KeyResolutionError(f"key {key_id} is not on {controller}'s host")
        try:
            document = await self._fetcher.fetch_unknown_id(key_id)
        except FederationError as exc:
            raise KeyResolutionError(f"cannot fetch {key_id}: {exc}") from exc
        if document.get("id") != controller:
            raise KeyResolutionError(f"{key_id} is not a key of {controller}'s document")
        public_key = assertion_key(document, key_id, now=now)
        known = KnownMultikey(key_id, controller, public_key_multibase(public_key))
        await self._store.save_multikey(known)
        return known


async def _check_one(
    document: dict[str, Any],
    proof: Proof,
    *,
    controller: str,
    keys: MultikeyResolver,
    now: datetime,
) -> ProofVerification | None:
    """Return why ``proof`` fails, or None when ``controller``'s key verifies it."""
    try:
        verified = await keys.verify(document, proof, controller=controller, now=now)
    except KeyResolutionError as exc:
        return ProofVerification("unknown_key", str(exc))
    if not verified:
        return ProofVerification("bad_proof", f"the proof by {proof.verification_method} fails")
    return None


async def check_proofs(
    document: dict[str, Any], *, controller: str, keys: MultikeyResolver, now: datetime
) -> ProofVerification:
    """Return whether every proof of ``document`` is a valid signature by ``controller``'s
    assertion key: one we cannot check, or made by another key, counts as failed."""
    proofs = proofs_of(document)
    if isinstance(proofs, ProofCheck):
        return ProofVerification(proofs.reason, proofs.detail)
    if not proofs:
        return ProofVerification("malformed", "the proof is empty")
    for proof in proofs:
        failed = await _check_one(document, proof, controller=controller, keys=keys, now=now)
        if failed is not None:
            return failed
    return ProofVerification("verified")
