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
from federation.ports import ActorStore, InboxStore, KnownKey, RemoteActor
from federation.retry import classify_status, next_attempt_at
from federation.sanitize import sanitize_html
from federation.webfinger import parse_handle, resolve_handle

__all__ = [
    "AS2_ACCEPT",
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
    "RemoteActor",
    "SchemeMemory",
    "SignatureAuth",
    "SigningKey",
    "UnsafeURLError",
    "Verification",
    "WebFingerError",
    "accept_activity",
    "classify_status",
    "deliver",
    "is_public_address",
    "next_attempt_at",
    "parse_actor",
    "parse_handle",
    "parse_signature",
    "resolve_handle",
    "sanitize_html",
    "sign_request",
    "verify_request",
    "verify_signature",
]
