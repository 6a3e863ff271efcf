"""Key pairs: generation, PEM (de)serialisation and a cache of loaded keys.

Loading an RSA private key from PEM validated it and cost ~38–52 ms (docs/performance.md). Private
keys are only ever ours — generated here, stored in our database — so their validation is
skipped (0.02 ms); every key object is still loaded once per process and kept.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from federation.multikeys import public_key_multibase

__all__ = [
    "generate_ed25519_key",
    "generate_rsa_pem_pair",
    "load_private_key",
    "load_public_key",
    "public_pem_of",
]

SigningPrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def generate_rsa_pem_pair(bits: int = 2048) -> tuple[str, str]:
    """Return a new RSA key pair as (PKCS#8 private PEM, SPKI public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, public_pem_of(key)


def generate_ed25519_key() -> tuple[str, str]:
    """Return a new Ed25519 key as (PKCS#8 private PEM, ``publicKeyMultibase``): the key that
    signs an actor's Object Integrity Proofs (FEP-8b32, FEP-521a)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, public_key_multibase(key.public_key())


def public_pem_of(key: PrivateKeyTypes) -> str:
    """Return the SPKI PEM of a private key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@lru_cache(maxsize=4096)
def load_private_key(pem: str) -> SigningPrivateKey:
    """Return the key object for one of our private PEMs, parsed once per process.

    Raises ``ValueError`` for a PEM that is not an RSA or Ed25519 private key. RSA keys are
    not checked for consistency: they come from ``generate_rsa_pem_pair``, never from outside
    (the check cost a worker 52 ms before the first delivery of each actor).
    """
    key = serialization.load_pem_private_key(
        pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise ValueError("unsupported private key type")
    return key


@lru_cache(maxsize=65536)
def load_public_key(pem: str) -> PublicKeyTypes:
    """Return the key object for a public PEM (SPKI), parsed once per process.

    Raises ``ValueError`` for a malformed PEM.
    """
    return serialization.load_pem_public_key(pem.encode())
