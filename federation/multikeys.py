"""FEP-521a keys: Ed25519 public keys as ``Multikey``s, and the one an actor lists.

A ``publicKeyMultibase`` is ``z`` (multibase base58btc) followed by the base58btc of the
multicodec prefix ``0xed 0x01`` (ed25519-pub) and the 32 key bytes: ``z6Mk…``. Proofs name
such a key by id (``verificationMethod``); it counts only when the actor document lists it in
``assertionMethod`` with the actor as its ``controller``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from federation.errors import KeyResolutionError
from schemas.base import as_list

__all__ = [
    "assertion_key",
    "decode_base58btc",
    "encode_base58btc",
    "load_multikey",
    "private_key_from_multibase",
    "public_key_multibase",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
#: Multicodec prefixes (varints) of Ed25519 public and private keys.
_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
#: Longer than any key or signature we read: base58 decoding is quadratic in the length.
_MAX_BASE58 = 200


def encode_base58btc(data: bytes) -> str:
    """Return the Bitcoin-alphabet base58 of ``data`` (each leading zero byte is a ``1``)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def decode_base58btc(text: str) -> bytes:
    """Return the bytes of a Bitcoin-alphabet base58 string.

    Raises ``ValueError`` for a character outside the alphabet or a string over 200 characters.
    """
    if len(text) > _MAX_BASE58:
        raise ValueError("base58 value too long")
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"not a base58btc character: {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _multibase(value: str, prefix: bytes, size: int) -> bytes:
    if not value.startswith("z"):
        raise ValueError("not a base58btc multibase value (no leading 'z')")
    data = decode_base58btc(value[1:])
    if not data.startswith(prefix) or len(data) != len(prefix) + size:
        raise ValueError("not an Ed25519 key")
    return data[len(prefix) :]


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """Return the ``publicKeyMultibase`` of an Ed25519 public key (``z6Mk…``)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + encode_base58btc(_ED25519_PUB + raw)


def load_multikey(value: str) -> Ed25519PublicKey:
    """Return the Ed25519 public key of a ``publicKeyMultibase``.

    Raises ``ValueError`` for anything else (another key type, bad encoding).
    """
    return Ed25519PublicKey.from_public_bytes(_multibase(value, _ED25519_PUB, 32))


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    """Return the Ed25519 private key of a ``secretKeyMultibase`` (``z3u2…``), the form of
    published test vectors.

    Raises ``ValueError`` for anything else.
    """
    return Ed25519PrivateKey.from_private_bytes(_multibase(value, _ED25519_PRIV, 32))


def _expired(entry: dict[str, Any], now: datetime) -> bool:
    """Whether a key is revoked, or expired at ``now`` (FEP-521a: never accept it then)."""
    if "revoked" in entry:
        return True
    expires = entry.get("expires")
    if expires is None:
        return False
    try:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError:
        return True
    return moment.tzinfo is None or moment <= now


def assertion_key(document: dict[str, Any], key_id: str, *, now: datetime) -> Ed25519PublicKey:
    """Return the Ed25519 key ``key_id`` that the actor ``document`` lists in ``assertionMethod``.

    Raises ``KeyResolutionError`` when it lists no such usable key: absent, not a ``Multikey``,
    controlled by someone else, not Ed25519, revoked or expired.
    """
    controller = document.get("id")
    for entry in as_list(document.get("assertionMethod")):
        if not isinstance(entry, dict) or entry.get("id") != key_id:
            continue
        if "Multikey" not in as_list(entry.get("type")):
            raise KeyResolutionError(f"{key_id} is not a Multikey")
        if entry.get("controller") != controller:
            raise KeyResolutionError(f"{key_id} is not controlled by {controller}")
        if _expired(entry, now):
            raise KeyResolutionError(f"{key_id} is revoked or expired")
        value = entry.get("publicKeyMultibase")
        try:
            return load_multikey(value if isinstance(value, str) else "")
        except ValueError as exc:
            raise KeyResolutionError(f"{key_id}: {exc}") from None
    raise KeyResolutionError(f"{controller} lists no assertion key {key_id}")
