"""Digest (draft-cavage era) and Content-Digest (RFC 9530) headers."""

from __future__ import annotations

import pytest

from federation.digest import (
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)

BODY = b'{"hello": "world"}'
# Published values: draft-cavage-http-signatures-12 Appendix C and RFC 9421 Appendix B.2.
SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
SHA512 = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="


def test_digest_header__draft_cavage_example() -> None:
    assert digest_header(BODY) == f"SHA-256={SHA256}"


def test_content_digest_header__rfc9530_form() -> None:
    assert content_digest_header(BODY) == f"sha-256=:{SHA256}:"
    assert content_digest_header(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


@pytest.mark.parametrize(
    "value",
    [
        f"SHA-256={SHA256}",
        f"sha-256={SHA256}",
        f"Sha-256={SHA256}",
        f"MD5=Sd/dVLAcvNLSq16eXua5uQ==, SHA-256={SHA256}",
        f"SHA-512=anything,SHA-256={SHA256}",
        f" SHA-256={SHA256} ",
    ],
)
def test_check_digest__accepts(value: str) -> None:
    assert check_digest(value, BODY)


@pytest.mark.parametrize(
    "value",
    [
        "",
        f"SHA-512={SHA512}",  # a SHA-256 entry is required
        f"SHA-256={SHA256}",  # for another body, see below
        "SHA-256=not base64!",
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE",  # unpadded
        "SHA-256=AAAA",  # base64, but not 32 bytes
        f"SHA-256={SHA256}, SHA-256=AAAA",  # every SHA-256 entry must match
        "SHA-256=é",
        f"SHA-256:{SHA256}",
    ],
)
def test_check_digest__rejects(value: str) -> None:
    body = b'{"hello": "World"}' if value == f"SHA-256={SHA256}" else BODY
    assert not check_digest(value, body)


@pytest.mark.parametrize(
    "value",
    [
        f"sha-256=:{SHA256}:",
        f"sha-256=:{SHA256}:, sha-512=:{SHA512}:",
        f"sha-512=:{SHA512}:,sha-256=:{SHA256}:",
        f"md5=:AAAA:, sha-256=:{SHA256}:",
    ],
)
def test_check_content_digest__accepts(value: str) -> None:
    assert check_content_digest(value, BODY)


@pytest.mark.parametrize(
    "value",
    [
        f"sha-512=:{SHA512}:",  # RFC 9421's test request: sha-256 is required
        f"sha-256=:{SHA256}:, sha-512=:{SHA256}:",  # sha-512, when present, must match too
        "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
        f"SHA-256=:{SHA256}:",  # keys are lower-case in RFC 8941
        f"sha-256={SHA256}",  # a token, not a byte sequence
        f'sha-256="{SHA256}"',
        f"sha-256=(:{SHA256}:)",
        f"sha-256=:{SHA256}",
        f"sha-256=:{SHA256}:,",
        "",
    ],
)
def test_check_content_digest__rejects(value: str) -> None:
    assert not check_content_digest(value, BODY)
