"""Body digests: the legacy ``Digest`` header (draft-cavage era) and ``Content-Digest`` (RFC 9530).

A signature covers the digest header, not the body, so the digest must be recomputed over
the raw bytes received and compared before the signature means anything about the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from federation.rfc9421 import Item, StructuredFieldError, parse_dictionary

__all__ = ["check_content_digest", "check_digest", "content_digest_header", "digest_header"]

_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    """Return the ``Digest`` value for ``body`` in Mastodon's spelling: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    """Return the RFC 9530 ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def check_digest(value: str, body: bytes) -> bool:
    """Return whether a ``Digest`` header has a SHA-256 entry and every one matches ``body``.

    The header is a comma-separated list of ``algorithm=base64``; algorithm names are
    case-insensitive and other algorithms are ignored, as Mastodon does.
    """
    expected = hashlib.sha256(body).digest()
    found = False
    for entry in value.split(","):
        algorithm, _, encoded = entry.strip().partition("=")
        if algorithm.lower() != "sha-256":
            continue
        try:
            received = base64.b64decode(encoded, validate=True)
        except ValueError:  # not base64 (binascii.Error) or not ASCII
            return False
        if not hmac.compare_digest(received, expected):
            return False
        found = True
    return found


def check_content_digest(value: str, body: bytes) -> bool:
    """Return whether a ``Content-Digest`` has a matching ``sha-256`` member.

    A ``sha-512`` member, when present, must match too; other algorithms are ignored.
    A value that is not an RFC 8941 dictionary of byte sequences does not match.
    """
    try:
        members = parse_dictionary(value)
    except StructuredFieldError:
        return False
    if "sha-256" not in members:
        return False
    for algorithm, compute in _HASHES.items():
        member = members.get(algorithm)
        if member is None:
            continue
        received = member.value
        if not isinstance(received, Item) or not isinstance(received.value, bytes):
            return False
        if not hmac.compare_digest(received.value, compute(body).digest()):
            return False
    return True
