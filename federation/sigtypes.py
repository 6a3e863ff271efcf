"""The data shared by both signature schemes, and the key-free checks they have in common.

``federation.httpsig`` (the public entry point, RFC 9421 parsing and verification) and
``federation.cavage`` (draft-cavage parsing) both build ``SignedRequest`` and ``Verification``
values and apply the same time window; keeping these here lets both import them without an
import cycle. ``federation.httpsig`` re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from federation.rfc9421 import field_value

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_LIFETIME",
    "MAX_LIFETIME",
    "Scheme",
    "SignedRequest",
    "Verification",
    "VerificationReason",
    "expects_body",
    "request_target",
    "time_window",
    "unix_time",
]

Scheme = Literal["cavage", "rfc9421"]

VerificationReason = Literal[
    "ok",
    "missing_signature",
    "malformed_signature",
    "unsupported_algorithm",
    "weak_coverage",
    "missing_header",
    "expired",
    "future_date",
    "digest_mismatch",
    "missing_digest",
    "bad_signature",
    "key_type_mismatch",
]

#: Mastodon's ``CLOCK_SKEW_MARGIN``, default lifetime and ``EXPIRATION_WINDOW_LIMIT``.
CLOCK_SKEW = timedelta(hours=1)
DEFAULT_LIFETIME = timedelta(minutes=5)
MAX_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class SignedRequest:
    """A parsed signature that passed every check needing no key; not yet verified."""

    scheme: Scheme
    key_id: str
    #: As sent ("rsa-sha256", "hs2019", "ed25519"...); "" for RFC 9421 without ``alg``.
    algorithm: str
    #: Header / component names in signed order.
    covered: tuple[str, ...]
    signature: bytes
    #: The exact bytes the signature is over.
    signing_string: bytes
    created: datetime
    #: Effective expiry: the signer's, else created + 5 min, capped at created + 12 h.
    expires: datetime
    #: Cavage only: the signing string with ``(request-target)`` lacking the query, which
    #: Mastodon also accepts for compatibility.
    path_only_signing_string: bytes | None = None
    #: The ``Digest`` (cavage) or ``Content-Digest`` (RFC 9421) header as received.
    body_digest: str | None = None


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a request's signature; ``key_id`` is set once known."""

    reason: VerificationReason
    key_id: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the signature is valid and acceptable."""
        return self.reason == "ok"


def request_target(url: str, *, with_query: bool = True) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query and with_query else path


def expects_body(method: str, headers: Mapping[str, str]) -> bool:
    length = field_value(headers, "content-length")
    chunked = field_value(headers, "transfer-encoding") is not None
    return method.upper() == "POST" or chunked or (length is not None and length.strip() != "0")


def time_window(
    created: datetime, expires: datetime | None, now: datetime, key_id: str
) -> tuple[datetime, Verification | None]:
    """Return the effective expiry and, when outside Mastodon's window, the refusal."""
    if created > now + CLOCK_SKEW:  # checked first: created + 12 h overflows near year 9999
        return created, Verification("future_date", key_id, f"created {created.isoformat()}")
    expires = min(expires or created + DEFAULT_LIFETIME, created + MAX_LIFETIME)
    if now > expires + CLOCK_SKEW:
        return expires, Verification("expired", key_id, f"expired {expires.isoformat()}")
    return expires, None


def unix_time(value: object) -> datetime | None:
    """Return the instant of a plausible Unix time (an int, not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    return None
