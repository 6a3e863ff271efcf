"""Draft-cavage-12 ``Signature`` headers: parsing, coverage rules and the signing string.

Mastodon still signs and accepts the pre-RFC draft-cavage scheme, whose header syntax and
signing string differ entirely from RFC 9421's; they live here so that ``federation.httpsig``
keeps only the policy shared by both schemes. The acceptance rules are Mastodon's
(FEDERATION.md, "Signatures, fetching and delivery").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from federation import rfc9421
from federation.rfc9421 import field_value
from federation.sigtypes import (
    SignedRequest,
    Verification,
    expects_body,
    request_target,
    time_window,
    unix_time,
)

__all__ = ["cavage_signing_string", "parse_cavage"]

_TOKEN = r"[0-9a-zA-Z!#$%&'*+.^_`|~-]+"
#: A quoted value is matched unrolled (runs of plain characters, then one escape at a time):
#: an alternation per character made this regex a tenth of an inbox request's cost.
_QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_PARAM = re.compile(rf"[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:({_TOKEN})|{_QUOTED})[ \t]*")
_SEPARATOR = re.compile(r"[ \t]*,")
_UNIX_TIME = re.compile(r"\d{1,11}", re.ASCII)
_PSEUDO_HEADERS = frozenset({"(request-target)", "(created)", "(expires)"})


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


def cavage_signing_string(
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
    if expects_body(method, headers) and "digest" not in covered:
        return "a request with a body must sign digest"
    return ""


def parse_cavage(
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
        name: unix_time(int(params[name]) if _UNIX_TIME.fullmatch(params[name]) else None)
        for name in ("created", "expires")
        if name in params
    }
    if None in times.values():
        return Verification("malformed_signature", key_id, "created and expires must be Unix times")
    try:
        signature = base64.b64decode(encoded, validate=True)
        target = request_target(url)
        signing_string = cavage_signing_string(covered, method, target, headers, params)
        path_only = request_target(url, with_query=False)
        alternative = (
            cavage_signing_string(covered, method, path_only, headers, params)
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
    expires, refusal = time_window(created, times.get("expires"), now, key_id)
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


@lru_cache(maxsize=256)
def _http_date(value: str) -> datetime | None:
    """Parse an HTTP-date (remembered: a busy sender dates many requests with the same second)."""
    try:
        parsed = parsedate_to_datetime(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):  # OverflowError: e.g. a 10-digit hour,
        return None  # or 31 Dec 9999 23:59 -1200 moved to UTC
