"""The ActivityPub protocol: signatures, safe fetching, key resolution, inbox, delivery.

No FastAPI and no SQL here: storage is reached through ``federation.ports``.
"""

from federation.actors import KeyResolver, parse_actor
from federation.delivery import DeliveryOutcome, SchemeMemory, deliver
from federation.errors import (
    FederationError,
    FetchError,
    FetchStatusError,
    InvalidDocumentError,
    KeyResolutionError,
    UnsafeURLError,
    WebFingerError,
)
from federation.fetch import AS2_ACCEPT, Fetcher
from federation.guard import GuardedResolver, GuardedTransport, is_public_address
from federation.httpsig import (
    SignatureAuth,
    SigningKey,
    Verification,
    parse_signature,
    sign_request,
    verify_request,
    verify_signature,
)
from federation.inbox import MAX_INBOX_BODY, InboxOutcome, accept_activity
from federation.integrity import MultikeyResolver, ProofVerification, check_proofs
from federation.multikeys import assertion_key, load_multikey, public_key_multibase
from federation.ports import (
    ActorStore,
    InboxStore,
    KnownKey,
    KnownMultikey,
    MultikeyStore,
    RemoteActor,
)
from federation.proofs import CRYPTOSUITE, proofs_of, sign_document, verify_proof
from federation.retry import classify_status, next_attempt_at
from federation.sanitize import sanitize_html
from federation.webfinger import parse_handle, resolve_handle

__all__ = [
    "AS2_ACCEPT",
    "CRYPTOSUITE",
    "MAX_INBOX_BODY",
    "ActorStore",
    "DeliveryOutcome",
    "FederationError",
    "FetchError",
    "FetchStatusError",
    "Fetcher",
    "GuardedResolver",
    "GuardedTransport",
    "InboxOutcome",
    "InboxStore",
    "InvalidDocumentError",
    "KeyResolutionError",
    "KeyResolver",
    "KnownKey",
    "KnownMultikey",
    "MultikeyResolver",
    "MultikeyStore",
    "ProofVerification",
    "RemoteActor",
    "SchemeMemory",
    "SignatureAuth",
    "SigningKey",
    "UnsafeURLError",
    "Verification",
    "WebFingerError",
    "accept_activity",
    "assertion_key",
    "check_proofs",
    "classify_status",
    "deliver",
    "is_public_address",
    "load_multikey",
    "next_attempt_at",
    "parse_actor",
    "parse_handle",
    "parse_signature",
    "proofs_of",
    "public_key_multibase",
    "resolve_handle",
    "sanitize_html",
    "sign_document",
    "sign_request",
    "verify_proof",
    "verify_request",
    "verify_signature",
]
