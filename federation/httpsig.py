"""HTTP signatures as Mastodon sends and checks them: draft-cavage-12 and RFC 9421.

Signing adds Host, Date, a body digest and the signature headers over the exact bytes sent.
Verification is split so that a key is fetched only for a request worth checking:
``parse_signature`` needs no key (syntax, coverage, time window), then ``verify_signature`` checks
the body digest and the cryptography. The acceptance rules are Mastodon's (FEDERATION.md,
"Signatures, fetching and delivery"), so what we accept and refuse matches what the fediverse
expects.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation import rfc9421
from federation.cavage import cavage_signing_string, parse_cavage
from federation.digest import (
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)
from federation.rfc9421 import field_value, fold_fields
from federation.sigtypes import CLOCK_SKEW as CLOCK_SKEW
from federation.sigtypes import DEFAULT_LIFETIME as DEFAULT_LIFETIME
from federation.sigtypes import MAX_LIFETIME as MAX_LIFETIME
from federation.sigtypes import (
    Scheme,
    SignedRequest,
    Verification,
    VerificationReason,
    expects_body,
    request_target,
    time_window,
    unix_time,
)

__all__ = [
    "Scheme",
    "SignatureAuth",
    "SignedRequest",
    "SigningKey",
    "Verification",
    "VerificationReason",
    "parse_signature",
    "sign_request",
    "verify_request",
    "verify_signature",
]

_BODY_METHODS = ("POST", "PUT", "PATCH")
# What we sign, mirroring Mastodon (FEDERATION.md, "Signatures, fetching and delivery").
_CAVAGE_COVERAGE = ("(request-target)", "host", "date")
_CAVAGE_BODY_COVERAGE = (*_CAVAGE_COVERAGE, "digest", "content-type")
_RFC9421_COVERAGE = ("@method", "@target-uri")
_RFC9421_BODY_COVERAGE = (*_RFC9421_COVERAGE, "content-digest", "content-type")


@dataclass(frozen=True)
class SigningKey:
    """A private key and the ``keyId`` URI under which its public half is published."""

    key_id: str
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


# ---------------------------------------------------------------------------------------------
# Signing


def sign_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key: SigningKey,
    scheme: Scheme = "cavage",
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the headers to add so the request carries ``key``'s signature.

    Always Host and Date; for a body (any non-empty one, or that of a POST/PUT/PATCH) a digest
    (``Digest`` for cavage, ``Content-Digest`` for RFC 9421) and the caller's Content-Type are
    signed too; then ``Signature`` (and ``Signature-Input`` for RFC 9421).
    Raises ``ValueError`` when a body has no Content-Type or the key id is not ASCII.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    method = method.upper()
    added = {"Host": rfc9421.authority(url), "Date": format_datetime(now, usegmt=True)}
    signed_body = body if body or (body is not None and method in _BODY_METHODS) else None
    if signed_body is not None:
        if field_value(headers, "content-type") is None:
            raise ValueError("a signed body needs a Content-Type header")
        if scheme == "cavage":
            added["Digest"] = digest_header(signed_body)
        else:
            added["Content-Digest"] = content_digest_header(signed_body)
    merged = {name.lower(): value for name, value in (*headers.items(), *added.items())}
    if scheme == "cavage":
        covered = _CAVAGE_BODY_COVERAGE if signed_body is not None else _CAVAGE_COVERAGE
        signing_string = cavage_signing_string(covered, method, request_target(url), merged, {})
        signature = base64.b64encode(rfc9421.sign_bytes(key.private_key, signing_string)).decode()
        algorithm = "rsa-sha256" if isinstance(key.private_key, rsa.RSAPrivateKey) else "hs2019"
        added["Signature"] = (
            f'keyId="{key.key_id}",algorithm="{algorithm}",'
            f'headers="{" ".join(covered)}",signature="{signature}"'
        )
        return added
    components = _RFC9421_BODY_COVERAGE if signed_body is not None else _RFC9421_COVERAGE
    alg = "rsa-v1_5-sha256" if isinstance(key.private_key, rsa.RSAPrivateKey) else "ed25519"
    params = rfc9421.serialize_inner_list(
        components, {"created": int(now.timestamp()), "keyid": key.key_id, "alg": alg}
    )
    target_uri = f"{urlsplit(url).scheme.lower()}://{added['Host']}{request_target(url)}"  # as sent
    message = rfc9421.MessageContext(merged, method=method, url=target_uri)
    base = rfc9421.signature_base([rfc9421.Item(name) for name in components], params, message)
    signature = base64.b64encode(rfc9421.sign_bytes(key.private_key, base)).decode()
    return added | {"Signature-Input": f"sig1={params}", "Signature": f"sig1=:{signature}:"}


class SignatureAuth(httpx.Auth):
    """httpx auth signing the exact bytes sent (``request.content``), for sync and async clients."""

    requires_request_body = True

    def __init__(
        self,
        key: SigningKey,
        *,
        scheme: Scheme = "cavage",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.key = key
        self.scheme: Scheme = scheme
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Yield the request with its signature headers set."""
        signed = sign_request(
            method=request.method,
            url=str(request.url),
            headers=request.headers,
            body=request.content,
            key=self.key,
            scheme=self.scheme,
            now=self.clock() if self.clock else None,
        )
        request.headers.update(signed)
        yield request


# ---------------------------------------------------------------------------------------------
# Verification


def parse_signature(
    *, method: str, url: str, headers: Mapping[str, str], now: datetime
) -> SignedRequest | Verification:
    """Return the request's signature, parsed and pre-checked without a key, or why it fails.

    RFC 9421 when ``Signature-Input`` is present, else draft-cavage ``Signature``. ``url`` is the
    absolute URL as received; ``headers`` any mapping (names compared case-insensitively);
    ``now`` timezone-aware. Never raises for any header content.
    """
    headers = fold_fields(headers)
    if "signature-input" in headers:
        parsed = _parse_rfc9421(method, url, headers, now)
    else:
        parsed = parse_cavage(method, url, headers, now)
    if isinstance(parsed, SignedRequest) and not parsed.key_id.isprintable():
        # Only a URL names a key; a control character in it would reach the key lookup
        return Verification("malformed_signature", detail="keyId holds a control character")
    return parsed


def verify_signature(
    signed: SignedRequest, public_key: PublicKeyTypes, *, body: bytes | None
) -> Verification:
    """Return the verdict on ``signed`` for the raw ``body`` (None: no body) and ``public_key``.

    A body needs a signed digest header; a signed digest header must match the body (or its
    absence); then the signature must hold, for cavage on the path-only variant at worst.
    """
    content = body or b""
    digest_name = "digest" if signed.scheme == "cavage" else "content-digest"
    if content and signed.body_digest is None:
        return Verification("missing_digest", signed.key_id, f"a body needs a signed {digest_name}")
    if content and digest_name not in signed.covered:
        return Verification("weak_coverage", signed.key_id, f"{digest_name} is not signed")
    check = check_digest if signed.scheme == "cavage" else check_content_digest
    if digest_name in signed.covered and not check(signed.body_digest or "", content):
        computed = (
            digest_header(content) if signed.scheme == "cavage" else content_digest_header(content)
        )
        return Verification("digest_mismatch", signed.key_id, f"computed {computed}")
    algorithm = _verification_algorithm(signed, public_key)
    if algorithm is None:
        return Verification(
            "key_type_mismatch", signed.key_id, f"{signed.algorithm} with this key type"
        )
    outcome = rfc9421.verify_bytes(algorithm, public_key, signed.signature, signed.signing_string)
    if outcome == "bad_signature" and signed.path_only_signing_string is not None:
        outcome = rfc9421.verify_bytes(
            algorithm, public_key, signed.signature, signed.path_only_signing_string
        )
    return Verification(outcome, signed.key_id, "" if outcome == "ok" else algorithm)


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key: PublicKeyTypes,
    now: datetime,
) -> Verification:
    """Return ``parse_signature`` then ``verify_signature``, for callers that hold the key."""
    signed = parse_signature(method=method, url=url, headers=headers, now=now)
    if isinstance(signed, Verification):
        return signed
    return verify_signature(signed, public_key, body=body)


def _verification_algorithm(signed: SignedRequest, key: PublicKeyTypes) -> str | None:
    if signed.scheme == "rfc9421":
        return signed.algorithm or rfc9421.algorithm_for_key(key)
    if signed.algorithm == "rsa-sha256" or isinstance(key, rsa.RSAPublicKey):
        return "rsa-v1_5-sha256"  # Mastodon verifies every cavage signature as RSA/SHA-256
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else None


def _parse_rfc9421(
    method: str, url: str, headers: Mapping[str, str], now: datetime
) -> SignedRequest | Verification:
    raw_input, raw_signature = (
        field_value(headers, "signature-input") or "",
        field_value(headers, "signature"),
    )
    if raw_signature is None:
        return Verification("missing_signature", detail="Signature-Input without Signature")
    try:
        inputs = rfc9421.parse_dictionary(raw_input)
        signatures = rfc9421.parse_dictionary(raw_signature)
    except rfc9421.StructuredFieldError as exc:
        return Verification("malformed_signature", detail=str(exc))
    shared = [label for label in inputs if label in signatures]
    if not shared:
        return Verification(
            "malformed_signature", detail="no label in both Signature-Input and Signature"
        )
    label = "sig1" if "sig1" in shared else shared[0]
    member, signature = inputs[label], signatures[label].value
    if not isinstance(member.value, rfc9421.InnerList):
        return Verification("malformed_signature", detail=f"{label} is not an inner list")
    params = member.value.params
    key_id, created, expires, alg = (
        params.get(name) for name in ("keyid", "created", "expires", "alg")
    )
    if not isinstance(key_id, str) or not key_id:
        return Verification("malformed_signature", detail="keyid is required")
    if not isinstance(signature, rfc9421.Item) or not isinstance(signature.value, bytes):
        return Verification(
            "malformed_signature", key_id, f"{label} signature is not a byte sequence"
        )
    created_at, signer_expiry = unix_time(created), unix_time(expires)
    if created_at is None or (expires is not None and signer_expiry is None):
        return Verification(
            "malformed_signature", key_id, "created (required) and expires must be Unix times"
        )
    if alg is not None and alg not in rfc9421.ALGORITHMS:
        return Verification("unsupported_algorithm", key_id, f"alg {alg!r}")
    covered = tuple(str(item.value) for item in member.value.items)
    required = ("@method", "@target-uri") + (
        ("content-digest",) if expects_body(method, headers) else ()
    )
    missing = [name for name in required if name not in covered]
    if missing:
        return Verification(
            "weak_coverage", key_id, f"the signature must cover {', '.join(missing)}"
        )
    message = rfc9421.MessageContext(headers, method=method, url=url)
    try:
        base = rfc9421.signature_base(member.value.items, member.raw, message)
    except rfc9421.MissingComponentError as exc:
        return Verification("missing_header", key_id, f"covered {exc} is absent")
    except ValueError as exc:  # an unsupported component, or an unparseable URL
        return Verification("malformed_signature", key_id, str(exc))
    expires_at, refusal = time_window(created_at, signer_expiry, now, key_id)
    if refusal is not None:
        return refusal
    return SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=str(alg or ""),
        covered=covered,
        signature=signature.value,
        signing_string=base,
        created=created_at,
        expires=expires_at,
        body_digest=field_value(headers, "content-digest"),
    )
