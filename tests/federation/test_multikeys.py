"""FEP-521a keys: base58btc multibase Ed25519 keys, and the one an actor lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.errors import KeyResolutionError
from federation.keys import generate_ed25519_key, load_private_key
from federation.multikeys import (
    assertion_key,
    decode_base58btc,
    encode_base58btc,
    load_multikey,
    private_key_from_multibase,
    public_key_multibase,
)

ACTOR = "https://server.example/users/alice"
KEY_ID = f"{ACTOR}#ed25519-key"
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_base58btc__bitcoin_vectors_and_leading_zeros() -> None:
    assert encode_base58btc(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert encode_base58btc(b"\0\0\x01") == "112"
    assert decode_base58btc("112") == b"\0\0\x01"
    assert encode_base58btc(b"") == "" and decode_base58btc("") == b""


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "+", "é", "1" * 201])
def test_decode_base58btc__refuses_outside_the_alphabet_or_too_long(text: str) -> None:
    with pytest.raises(ValueError):
        decode_base58btc(text)


def test_public_key_multibase__w3c_key_pair() -> None:
    # The W3C vectors' private key gives their public key, z6Mk… (ed25519-pub, 0xed01)
    private = private_key_from_multibase(W3C_PRIVATE)
    assert public_key_multibase(private.public_key()) == W3C_PUBLIC
    assert load_multikey(W3C_PUBLIC) == private.public_key()


def test_generate_ed25519_key__pem_and_multibase_agree() -> None:
    private_pem, public = generate_ed25519_key()
    key = load_private_key(private_pem)
    assert isinstance(key, Ed25519PrivateKey)
    assert public.startswith("z6Mk") and public_key_multibase(key.public_key()) == public


@pytest.mark.parametrize(
    "value",
    [
        W3C_PUBLIC[1:],  # no multibase prefix
        "u" + W3C_PUBLIC[1:],  # base64url, not base58btc
        "z" + encode_base58btc(b"\x12\x05" + bytes(32)),  # an RSA multicodec
        "z" + encode_base58btc(b"\xed\x01" + bytes(31)),  # one byte short
        W3C_PRIVATE,  # a private key
    ],
)
def test_load_multikey__refuses_anything_but_an_ed25519_public_key(value: str) -> None:
    with pytest.raises(ValueError):
        load_multikey(value)


def actor(**key: Any) -> dict[str, Any]:
    entry = {
        "id": KEY_ID,
        "type": "Multikey",
        "controller": ACTOR,
        "publicKeyMultibase": W3C_PUBLIC,
    }
    rsa = {"id": f"{ACTOR}#main-key", "type": "Multikey", "controller": ACTOR}
    return {"id": ACTOR, "type": "Person", "assertionMethod": [rsa, entry | key]}


def test_assertion_key__found_by_id() -> None:
    assert assertion_key(actor(), KEY_ID, now=NOW) == load_multikey(W3C_PUBLIC)
    single = actor() | {"assertionMethod": actor()["assertionMethod"][1]}
    assert assertion_key(single, KEY_ID, now=NOW) == load_multikey(W3C_PUBLIC)
    assert assertion_key(actor(expires="2027-01-01T00:00:00Z"), KEY_ID, now=NOW)


@pytest.mark.parametrize(
    ("document", "key_id"),
    [
        (actor(), f"{ACTOR}#other"),
        (actor(controller="https://server.example/users/mallory"), KEY_ID),
        (actor(type="JsonWebKey"), KEY_ID),
        (actor(publicKeyMultibase="z" + encode_base58btc(b"\x12\x05" + bytes(32))), KEY_ID),
        (actor(publicKeyMultibase=None), KEY_ID),
        (actor(expires="2026-11-30T00:00:00Z"), KEY_ID),
        (actor(expires="next year"), KEY_ID),
        (actor(revoked="2026-11-30T00:00:00Z"), KEY_ID),
        ({"id": ACTOR, "assertionMethod": [KEY_ID]}, KEY_ID),
        ({"id": ACTOR}, KEY_ID),
    ],
    ids=[
        "absent",
        "other controller",
        "not a Multikey",
        "RSA",
        "no key",
        "expired",
        "unreadable expiry",
        "revoked",
        "reference only",
        "no assertionMethod",
    ],
)
def test_assertion_key__refused(document: dict[str, Any], key_id: str) -> None:
    with pytest.raises(KeyResolutionError):
        assertion_key(document, key_id, now=NOW)
