"""RFC 9421 HTTP Message Signatures: component values, signature bases and algorithms.

This module holds the mechanics of the RFC only (component values, the signature base of §2.5
and the algorithms of §3.3; the RFC 8941 parser lives in ``federation.structured_fields`` and is
re-exported here); which signatures to accept is the policy of ``federation.httpsig``, which is
the public entry point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from federation.structured_fields import (
    BareItem,
    InnerList,
    Item,
    Member,
    StructuredFieldError,
    Token,
    parse_dictionary,
)

__all__ = [
    "ALGORITHMS",
    "ComponentError",
    "Fields",
    "InnerList",
    "Item",
    "Member",
    "MessageContext",
    "MissingComponentError",
    "StructuredFieldError",
    "Token",
    "algorithm_for_key",
    "authority",
    "field_value",
    "fold_fields",
    "parse_dictionary",
    "serialize_inner_list",
    "sign_bytes",
    "signature_base",
    "verify_bytes",
]

#: The asymmetric algorithms of RFC 9421 §3.3 that we verify (HMAC needs a shared secret,
#: which federation never has; P-384 is unused in the fediverse).
ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ecdsa-p256-sha256", "ed25519"})

CryptoOutcome = Literal["ok", "bad_signature", "key_type_mismatch", "unsupported_algorithm"]


class ComponentError(ValueError):
    """A covered component is not one we can build a value for (§2)."""


class MissingComponentError(LookupError):
    """A covered header field is absent from the message."""


def _serialize_bare(value: int | str) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_item(item: Item) -> str:
    """Return the canonical form of a component identifier (a string with string params)."""
    if not isinstance(item.value, str):
        raise ComponentError("component identifiers are strings")
    out = _serialize_bare(item.value)
    for name, value in item.params.items():
        if not isinstance(value, str):
            raise ComponentError(f"unsupported component parameter {name!r}")
        out += f";{name}={_serialize_bare(value)}"
    return out


def serialize_inner_list(components: Sequence[str], params: Mapping[str, int | str]) -> str:
    """Return the ``@signature-params`` value for plain components and signature parameters."""
    inner = " ".join(_serialize_bare(name) for name in components)
    return f"({inner})" + "".join(f";{k}={_serialize_bare(v)}" for k, v in params.items())


# ---------------------------------------------------------------------------------------------
# Component values (§2) and the signature base (§2.5).


@dataclass(frozen=True)
class MessageContext:
    """What components are drawn from: a request (method, url) or a response (status)."""

    headers: Mapping[str, str]
    method: str | None = None
    url: str | None = None
    status: int | None = None


_DEFAULT_PORTS = {"http": 80, "https": 443}


class Fields(dict[str, str]):
    """Header fields folded once: lower-case names, each with its lines joined by ", "."""

    @classmethod
    def from_lines(cls, lines: Iterable[tuple[bytes, bytes]]) -> Fields:
        """Fold raw header lines, as ASGI servers hand them over (latin-1 bytes)."""
        return _folded((name.decode("latin-1"), value.decode("latin-1")) for name, value in lines)


def field_value(headers: Mapping[str, str], name: str) -> str | None:
    """Return every line of a header field joined by ", ", or None when absent.

    Works for ``Fields`` (a dict look-up), plain dicts, ``httpx.Headers`` (which pre-joins
    repeated lines) and starlette ``Headers`` (whose ``items()`` lists each line), comparing
    names case-insensitively.
    """
    if isinstance(headers, Fields):
        return headers.get(name)
    lines = [value for key, value in headers.items() if key.lower() == name]
    return ", ".join(lines) if lines else None


def fold_fields(headers: Mapping[str, str]) -> Fields:
    """Return ``headers`` folded, so that each field look-up is a dict look-up.

    A verifier looks up several fields per request, and starlette's ``Headers`` decodes every
    line again on each ``items()`` call.
    """
    if isinstance(headers, Fields):
        return headers
    return _folded(headers.items())


def _folded(lines: Iterable[tuple[str, str]]) -> Fields:
    folded = Fields()
    for key, value in lines:
        name = key.lower()
        folded[name] = f"{folded[name]}, {value}" if name in folded else value
    return folded


def authority(url: str) -> str:
    """Return the ``@authority`` of ``url``: lower-case host, port only when not the default.

    Raises ``ValueError`` for an unparseable authority.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host.isascii():  # what goes on the wire: the IDNA (punycode) form
        host = host.encode("idna").decode("ascii")
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    return host if port in (None, _DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"


def _form_encode(text: str) -> str:
    """Percent-encode with the application/x-www-form-urlencoded set, as §2.2.8 requires."""
    return quote(text, safe="*").replace("~", "%7E")


def _derived(name: str, params: Mapping[str, BareItem], message: MessageContext) -> str:
    if name == "@status":
        if message.status is None:
            raise ComponentError("@status outside a response")
        return str(message.status)
    if message.method is None or message.url is None:
        raise ComponentError(f"{name} outside a request")
    if name == "@method":
        return message.method
    if name == "@target-uri":
        return message.url
    parts = urlsplit(message.url)
    path = parts.path or "/"
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@authority":
        return authority(message.url)
    if name == "@path":
        return path
    if name == "@query":
        return f"?{parts.query}"
    if name == "@request-target":
        return f"{path}?{parts.query}" if parts.query else path
    if name == "@query-param" and isinstance(params.get("name"), str):
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        values = [_form_encode(v) for k, v in pairs if _form_encode(k) == params["name"]]
        if len(values) != 1:
            raise MissingComponentError(f"query parameter {params['name']!r} absent or repeated")
        return values[0]
    raise ComponentError(f"unsupported derived component {name}")


def _component_value(item: Item, message: MessageContext) -> str:
    name = item.value
    if not isinstance(name, str) or name != name.lower():
        raise ComponentError("component names are lowercase strings")
    if name.startswith("@"):
        if set(item.params) - ({"name"} if name == "@query-param" else set()):
            raise ComponentError(f"unsupported parameters on {name}")
        return _derived(name, item.params, message)
    if item.params:
        raise ComponentError(f"unsupported parameters on {name}")
    lines = [v.strip(" \t") for k, v in message.headers.items() if k.lower() == name]
    if not lines:
        raise MissingComponentError(name)
    return ", ".join(lines)


def signature_base(components: Sequence[Item], params_raw: str, message: MessageContext) -> bytes:
    """Return the signature base of RFC 9421 §2.5 over ``message``.

    ``params_raw`` is the ``@signature-params`` value as received (or as we will send it).
    Raises ``MissingComponentError`` for an absent header field and ``ComponentError`` for a
    repeated, unsupported or non-ASCII component.
    """
    lines: list[str] = []
    seen: set[str] = set()
    for item in components:
        identifier = _serialize_item(item)
        if identifier in seen:
            raise ComponentError(f"{identifier} covered twice")
        seen.add(identifier)
        value = _component_value(item, message)
        if "\n" in value or "\r" in value:
            raise ComponentError(f"{identifier} has a line break")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {params_raw}')
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        raise ComponentError("signature base is not ASCII") from exc


# ---------------------------------------------------------------------------------------------
# Algorithms (§3.3).


def algorithm_for_key(key: PublicKeyTypes) -> str | None:
    """Return the algorithm implied by a key when the signer sent no ``alg``, if any."""
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa-v1_5-sha256"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ecdsa-p256-sha256"
    return None


def verify_bytes(
    algorithm: str, key: PublicKeyTypes, signature: bytes, data: bytes
) -> CryptoOutcome:
    """Return whether ``signature`` is ``algorithm``'s signature of ``data`` under ``key``."""
    if algorithm not in ALGORITHMS:
        return "unsupported_algorithm"
    try:
        if algorithm == "ed25519":
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return "key_type_mismatch"
            key.verify(signature, data)
        elif algorithm == "ecdsa-p256-sha256":
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
                key.curve, ec.SECP256R1
            ):
                return "key_type_mismatch"
            if len(signature) != 64:  # raw r || s, §3.3.4
                return "bad_signature"
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        else:
            if not isinstance(key, rsa.RSAPublicKey):
                return "key_type_mismatch"
            if algorithm == "rsa-pss-sha512":
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
                key.verify(signature, data, pss, hashes.SHA512())
            else:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "bad_signature"
    return "ok"


def sign_bytes(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, data: bytes) -> bytes:
    """Return the signature of ``data``: RSASSA-PKCS1-v1_5/SHA-256 for RSA, else Ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)
