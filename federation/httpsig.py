"""HTTP signatures as Mastodon sends and checks them: draft-cavage-12 and RFC 9421.

Signing adds Host, Date, a body digest and the signature headers over the exact bytes sent.
Verification is split so that a key is fetched only for a request worth checking:
``parse_signature`` needs no key (syntax, coverage, time window), then ``verify_signature``
checks the body digest and the cryptography. The acceptance rules are Mastodon's
(mastodon-interop.md §3.1), so what we accept and refuse matches what the fediverse expects.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation import rfc9421
from federation.digest import (
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)
from federation.rfc9421 import field_value

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

_TOKEN = r"[0-9a-zA-Z!#$%&'*+.^_`|~-]+"
_PARAM = re.compile(rf'[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:({_TOKEN})|"((?:[^\\"]|\\.)*)")[ \t]*')
_SEPARATOR = re.compile(r"[ \t]*,")
_UNIX_TIME = re.compile(r"\d{1,11}", re.ASCII)
_PSEUDO_HEADERS = frozenset({"(request-target)", "(created)", "(expires)"})
_BODY_METHODS = ("POST", "PUT", "PATCH")
# What we sign, mirroring Mastodon (mastodon-interop.md §3.2).
_CAVAGE_COVERAGE = ("(request-target)", "host", "date")
_CAVAGE_BODY_COVERAGE = (*_CAVAGE_COVERAGE, "digest", "content-type")
_RFC9421_COVERAGE = ("@method", "@target-uri")
_RFC9421_BODY_COVERAGE = (*_RFC9421_COVERAGE, "content-digest", "content-type")


@dataclass(frozen=True)
class SigningKey:
    """A private key and the ``keyId`` URI under which its public half is published."""

    key_id: str
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


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
        signing_string = _cavage_signing_string(covered, method, _target(url), merged, {})
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
    target_uri = f"{urlsplit(url).scheme.lower()}://{added['Host']}{_target(url)}"  # as sent
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


def _target(url: str, *, with_query: bool = True) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query and with_query else path


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
    if field_value(headers, "signature-input") is not None:
        return _parse_rfc9421(method, url, headers, now)
    return _parse_cavage(method, url, headers, now)


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


def _expects_body(method: str, headers: Mapping[str, str]) -> bool:
    length = field_value(headers, "content-length")
    chunked = field_value(headers, "transfer-encoding") is not None
    return method.upper() == "POST" or chunked or (length is not None and length.strip() != "0")


def _time_window(
    created: datetime, expires: datetime | None, now: datetime, key_id: str
) -> tuple[datetime, Verification | None]:
    """Return the effective expiry and, when outside Mastodon's window, the refusal."""
    expires = min(expires or created + DEFAULT_LIFETIME, created + MAX_LIFETIME)
    if created > now + CLOCK_SKEW:
        return expires, Verification("future_date", key_id, f"created {created.isoformat()}")
    if now > expires + CLOCK_SKEW:
        return expires, Verification("expired", key_id, f"expired {expires.isoformat()}")
    return expires, None


def _cavage_params(value: str) -> dict[str, str] | None:
    """Return the ``k=v`` / ``k="v"`` pairs of a cavage Signature header, None if malformed."""
    text = value.strip().removeprefix("Signature ")
    params: dict[str, str] = {}
    pos = 0
    while True:
        found = _PARAM.match(text, pos)
        if found is None or found.group(1) in params:
            return None
        params[found.group(1)] = found.group(2) if found.group(2) is not None else found.group(3)
        pos = found.end()
        if pos == len(text):
            return params
        separator = _SEPARATOR.match(text, pos)
        if separator is None:
            return None
        pos = separator.end()


def _cavage_signing_string(
    covered: tuple[str, ...],
    method: str,
    target: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
) -> bytes:
    """Return the draft-cavage §2.3 signing string; raises ``MissingComponentError``."""
    lines = []
    for name in covered:
        if name == "(request-target)":
            value: str | None = f"{method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
        else:
            value = field_value(headers, name)
        if value is None:
            raise rfc9421.MissingComponentError(name)
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode()


def _cavage_coverage(covered: tuple[str, ...], method: str, headers: Mapping[str, str]) -> str:
    """Return what Mastodon's ``verify_signature_strength!`` would object to, or ""."""
    if "date" not in covered and "(created)" not in covered:
        return "the signature must cover date or (created)"
    if "(request-target)" not in covered and "digest" not in covered:
        return "the signature must cover (request-target) or digest"
    if method.upper() == "GET" and "host" not in covered:
        return "a GET signature must cover host"
    if _expects_body(method, headers) and "digest" not in covered:
        return "a request with a body must sign digest"
    return ""


def _parse_cavage(
    method: str, url: str, headers: Mapping[str, str], now: datetime
) -> SignedRequest | Verification:
    raw = field_value(headers, "signature")
    if raw is None:
        return Verification("missing_signature", detail="no Signature header")
    params = _cavage_params(raw)
    if params is None:
        return Verification(
            "malformed_signature", detail="Signature is not a list of unique key=value pairs"
        )
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id or encoded is None:
        return Verification("malformed_signature", key_id, "keyId and signature are required")
    algorithm = params.get("algorithm", "hs2019")
    if algorithm not in ("rsa-sha256", "hs2019"):
        return Verification("unsupported_algorithm", key_id, f"algorithm {algorithm!r}")
    covered = tuple(
        params.get("headers", "date" if algorithm == "rsa-sha256" else "(created)").lower().split()
    )
    weakness = _cavage_coverage(covered, method, headers)
    if weakness:
        return Verification("weak_coverage", key_id, weakness)
    for name in covered:
        allowed = name == "(request-target)" or (name in _PSEUDO_HEADERS and algorithm == "hs2019")
        if name.startswith("(") and not allowed:
            return Verification(
                "malformed_signature", key_id, f"pseudo-header {name} with {algorithm}"
            )
    times = {
        name: _unix_time(int(params[name]) if _UNIX_TIME.fullmatch(params[name]) else None)
        for name in ("created", "expires")
        if name in params
    }
    if None in times.values():
        return Verification("malformed_signature", key_id, "created and expires must be Unix times")
    try:
        signature = base64.b64decode(encoded, validate=True)
        target = _target(url)
        signing_string = _cavage_signing_string(covered, method, target, headers, params)
        path_only = _target(url, with_query=False)
        alternative = (
            _cavage_signing_string(covered, method, path_only, headers, params)
            if path_only != target and "(request-target)" in covered
            else None
        )
    except rfc9421.MissingComponentError as exc:
        return Verification("missing_header", key_id, f"covered {exc} is absent")
    except ValueError as exc:  # base64 (binascii.Error) or an unparseable URL
        return Verification("malformed_signature", key_id, str(exc))
    signed_created = times.get("created")
    if algorithm == "hs2019" and signed_created is not None:
        created = signed_created
    else:
        date = field_value(headers, "date")
        if date is None:
            return Verification("missing_header", key_id, "no Date header to date the signature")
        parsed = _http_date(date)
        if parsed is None:
            return Verification("malformed_signature", key_id, f"Date {date!r} is not an HTTP-date")
        created = parsed
    expires, refusal = _time_window(created, times.get("expires"), now, key_id)
    if refusal is not None:
        return refusal
    return SignedRequest(
        scheme="cavage",
        key_id=key_id,
        algorithm=algorithm,
        covered=covered,
        signature=signature,
        signing_string=signing_string,
        created=created,
        expires=expires,
        path_only_signing_string=alternative,
        body_digest=field_value(headers, "digest"),
    )


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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
    created_at, signer_expiry = _unix_time(created), _unix_time(expires)
    if created_at is None or (expires is not None and signer_expiry is None):
        return Verification(
            "malformed_signature", key_id, "created (required) and expires must be Unix times"
        )
    if alg is not None and alg not in rfc9421.ALGORITHMS:
        return Verification("unsupported_algorithm", key_id, f"alg {alg!r}")
    covered = tuple(str(item.value) for item in member.value.items)
    required = ("@method", "@target-uri") + (
        ("content-digest",) if _expects_body(method, headers) else ()
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
    expires_at, refusal = _time_window(created_at, signer_expiry, now, key_id)
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


def _unix_time(value: object) -> datetime | None:
    """Return the instant of a plausible Unix time (an int, not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    return None
