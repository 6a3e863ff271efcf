"""RFC 9421 mechanics and the RFC 9421 scheme of ``federation.httpsig``.

Golden vectors are RFC 9421 Appendix B, stored under tests/fixtures/httpsig/rfc9421 exactly as
printed in the RFC (RFC 8792 single-backslash folding included) and unfolded here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

from federation import rfc9421
from federation.httpsig import (
    SignedRequest,
    SigningKey,
    Verification,
    parse_signature,
    sign_request,
    verify_request,
    verify_signature,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "httpsig" / "rfc9421"
RFC_CREATED = datetime.fromtimestamp(1618884473, UTC)


def unfold(text: str) -> str:
    """Undo RFC 8792 §7.2 single-backslash folding (and drop its NOTE header)."""
    text = re.sub(r"\ANOTE: '\\' line wrapping per RFC 8792\n\n", "", text)
    return re.sub(r"\\\n[ \t]*", "", text)


def fixture_text(name: str) -> str:
    return unfold((FIXTURES / name).read_text()).removesuffix("\n")


def header_lines(name: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in fixture_text(name).split("\n"))


@dataclass
class Message:
    """An HTTP message as the RFC prints it; also the shape http_message_signatures expects."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int | None = None


def load_message(name: str) -> Message:
    head, _, body = fixture_text(name).partition("\n\n")
    start, *lines = head.split("\n")
    headers = dict(line.split(": ", 1) for line in lines)
    if start.startswith("HTTP/"):
        return Message("", "", headers, body.encode(), status=int(start.split()[1]))
    method, target, _ = start.split(" ")
    return Message(method, f"https://{headers['Host']}{target}", headers, body.encode())


def load_keys(name: str) -> tuple[PublicKeyTypes, PrivateKeyTypes]:
    public_pem, private_pem = re.findall(
        rb"-----BEGIN [A-Z ]+-----\n.*?-----END [A-Z ]+-----\n",
        (FIXTURES / name).read_bytes(),
        re.S,
    )
    public = serialization.load_pem_public_key(public_pem)  # B.1.1 prints PKCS#1, others SPKI
    return public, serialization.load_pem_private_key(private_pem, None)


def example(label: str) -> tuple[rfc9421.Member, bytes]:
    """Return the Signature-Input member and signature bytes of example ``label`` (e.g. b21)."""
    fields = header_lines(f"{label}.fields.http")
    (member,) = rfc9421.parse_dictionary(fields["Signature-Input"]).values()
    (signature,) = rfc9421.parse_dictionary(fields["Signature"]).values()
    assert isinstance(signature.value, rfc9421.Item) and isinstance(signature.value.value, bytes)
    return member, signature.value.value


def base_of(label: str, message: Message) -> bytes:
    member, _ = example(label)
    assert isinstance(member.value, rfc9421.InnerList)
    context = rfc9421.MessageContext(
        message.headers,
        method=message.method or None,
        url=message.url or None,
        status=message.status,
    )
    return rfc9421.signature_base(member.value.items, member.raw, context)


# -- RFC 9421 Appendix B golden vectors ------------------------------------------------------

B2_CASES = [
    ("b21", "test-request.http", "test-key-rsa-pss.pem", "rsa-pss-sha512"),
    ("b22", "test-request.http", "test-key-rsa-pss.pem", "rsa-pss-sha512"),
    ("b23", "test-request.http", "test-key-rsa-pss.pem", "rsa-pss-sha512"),
    ("b24", "test-response.http", "test-key-ecc-p256.pem", "ecdsa-p256-sha256"),
    ("b26", "test-request.http", "test-key-ed25519.pem", "ed25519"),
]


@pytest.mark.parametrize(("label", "message", "key", "algorithm"), B2_CASES)
def test_signature_base__rfc9421_appendix_b2(
    label: str, message: str, key: str, algorithm: str
) -> None:
    assert base_of(label, load_message(message)) == fixture_text(f"{label}.base.txt").encode()


@pytest.mark.parametrize(("label", "message", "key", "algorithm"), B2_CASES)
def test_verify_bytes__rfc9421_appendix_b2(
    label: str, message: str, key: str, algorithm: str
) -> None:
    public, _ = load_keys(key)
    _, signature = example(label)
    base = fixture_text(f"{label}.base.txt").encode()

    assert rfc9421.algorithm_for_key(public) in (algorithm, "rsa-v1_5-sha256")
    assert rfc9421.verify_bytes(algorithm, public, signature, base) == "ok"
    assert rfc9421.verify_bytes(algorithm, public, signature, base + b" ") == "bad_signature"


def test_verify_bytes__rfc9421_b11_rsa_key_signs_and_verifies() -> None:
    public, private = load_keys("test-key-rsa.pem")
    assert isinstance(private, rsa.RSAPrivateKey)
    signature = rfc9421.sign_bytes(private, b"base")
    assert rfc9421.verify_bytes("rsa-v1_5-sha256", public, signature, b"base") == "ok"
    assert rfc9421.verify_bytes("rsa-pss-sha512", public, signature, b"base") == "bad_signature"


def test_sign_bytes__rfc9421_b26_ed25519_is_reproduced_exactly() -> None:
    _, private = load_keys("test-key-ed25519.pem")
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    _, published = example("b26")

    signature = rfc9421.sign_bytes(private, fixture_text("b26.base.txt").encode())

    assert signature == published
    assert base64.b64encode(signature).decode() == (
        "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
    )


def test_verify_bytes__ecdsa_signature_must_be_exactly_r_and_s() -> None:
    # Given B.2.4's valid signature with s left-padded by a zero byte (same integers, 65 bytes)
    public, _ = load_keys("test-key-ecc-p256.pem")
    _, signature = example("b24")
    padded = signature[:32] + b"\x00" + signature[32:]

    # When / Then: RFC 9421 §3.3.4 fixes the encoding to 64 bytes, so it is refused
    base = fixture_text("b24.base.txt").encode()
    assert rfc9421.verify_bytes("ecdsa-p256-sha256", public, padded, base) == "bad_signature"


def test_verify_bytes__key_of_the_wrong_type() -> None:
    rsa_public, _ = load_keys("test-key-rsa.pem")
    ec_public, _ = load_keys("test-key-ecc-p256.pem")
    assert rfc9421.verify_bytes("ed25519", rsa_public, b"x" * 64, b"") == "key_type_mismatch"
    assert rfc9421.verify_bytes("rsa-v1_5-sha256", ec_public, b"x", b"") == "key_type_mismatch"
    assert rfc9421.verify_bytes("ecdsa-p256-sha256", rsa_public, b"x", b"") == "key_type_mismatch"
    assert rfc9421.verify_bytes("ecdsa-p256-sha256", ec_public, b"x" * 63, b"") == "bad_signature"
    assert rfc9421.verify_bytes("hmac-sha256", rsa_public, b"x", b"") == "unsupported_algorithm"


def test_parse_signature__rfc9421_b21_covers_nothing_so_is_weak() -> None:
    # Given the RFC's minimal example: valid, but it signs no part of the request
    message = load_message("test-request.http")
    message.headers |= header_lines("b21.fields.http")

    # When / Then
    result = parse_signature(
        method=message.method, url=message.url, headers=message.headers, now=RFC_CREATED
    )
    assert isinstance(result, Verification)
    assert (result.reason, result.key_id) == ("weak_coverage", "test-key-rsa-pss")


# -- RFC 8941 parser ---------------------------------------------------------------------------


def test_parse_dictionary__items_inner_lists_and_parameters() -> None:
    parsed = rfc9421.parse_dictionary(
        ' a=("x" "y";n=1);p=tok;q=?0, b=:aGk=:,c, d=-12;e="s\\"q\\\\" ,f=1.5'
    )

    assert list(parsed) == ["a", "b", "c", "d", "f"]
    assert parsed["a"].value == rfc9421.InnerList(
        (rfc9421.Item("x"), rfc9421.Item("y", {"n": 1})), {"p": rfc9421.Token("tok"), "q": False}
    )
    assert parsed["a"].raw == '("x" "y";n=1);p=tok;q=?0'
    assert parsed["b"].value == rfc9421.Item(b"hi")
    assert parsed["c"].value == rfc9421.Item(True)
    assert parsed["d"].value == rfc9421.Item(-12, {"e": 's"q\\'})
    assert parsed["f"].value == rfc9421.Item(1.5)


@pytest.mark.parametrize(
    "text",
    [
        "a=1,a=2",  # duplicate member
        "a=1;p;p",  # duplicate parameter
        "a=1,",  # trailing comma
        "a=1 b=2",  # missing comma
        'a="open',  # unterminated string
        'a="\\x"',  # bad escape
        "a=:not base64!:",
        "a=:YQ:",  # bad padding
        "A=1",  # upper-case key
        "a=(1 2",  # unterminated inner list
        "a=(1,2)",
        "a=?2",
        "a=1234567890123456",  # sixteen digits
        "a=1.2345",
        "a=é",
        "a=1;",
    ],
)
def test_parse_dictionary__rejects(text: str) -> None:
    with pytest.raises(rfc9421.StructuredFieldError):
        rfc9421.parse_dictionary(text)


# -- Derived components ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "value"),
    [
        ("@method", "POST"),
        ("@target-uri", "https://Example.COM:443/a%20b/c?x=1&y=%7E"),
        ("@authority", "example.com"),
        ("@scheme", "https"),
        ("@path", "/a%20b/c"),
        ("@query", "?x=1&y=%7E"),
        ("@request-target", "/a%20b/c?x=1&y=%7E"),
    ],
)
def test_signature_base__derived_components(component: str, value: str) -> None:
    context = rfc9421.MessageContext(
        {}, method="POST", url="https://Example.COM:443/a%20b/c?x=1&y=%7E"
    )
    base = rfc9421.signature_base([rfc9421.Item(component)], "P", context)
    assert base == f'"{component}": {value}\n"@signature-params": P'.encode()


@pytest.mark.parametrize(
    ("name", "value"),
    [  # RFC 9421 §2.2.8
        ("var", "this%20is%20a%20big%0Aval"),
        ("bar", "with%20plus%20whitespace"),
        ("fa%C3%A7ade%22%3A%20", "something"),
    ],
)
def test_signature_base__query_param(name: str, value: str) -> None:
    url = (
        "https://example.com/parameters?var=this%20is%20a%20big%0Aval"
        "&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
    )
    context = rfc9421.MessageContext({}, method="GET", url=url)
    identifier = f'"@query-param";name="{name}"'

    base = rfc9421.signature_base([rfc9421.Item("@query-param", {"name": name})], "P", context)

    assert base == f'{identifier}: {value}\n"@signature-params": P'.encode()


class FieldLines(dict[str, str]):
    """Headers whose ``items()`` lists every field line, repeats included, as starlette's do."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__(lines)
        self.lines = lines

    # dict.items() returns a view; this fake returns the repeated lines, as starlette does.
    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return self.lines


def test_signature_base__field_lines_trimmed_and_joined() -> None:
    headers = FieldLines([("Accept", " a/b "), ("accept", "c/d\t"), ("X", "y")])
    context = rfc9421.MessageContext(headers, method="GET", url="http://h:8080/")

    base = rfc9421.signature_base(
        [rfc9421.Item("accept"), rfc9421.Item("@authority")], "P", context
    )

    assert base == b'"accept": a/b, c/d\n"@authority": h:8080\n"@signature-params": P'


@pytest.mark.parametrize(
    ("components", "error"),
    [
        ([rfc9421.Item("absent")], rfc9421.MissingComponentError),
        ([rfc9421.Item("@status")], rfc9421.ComponentError),
        ([rfc9421.Item("@unknown")], rfc9421.ComponentError),
        ([rfc9421.Item("Host")], rfc9421.ComponentError),
        ([rfc9421.Item("host", {"sf": True})], rfc9421.ComponentError),
        ([rfc9421.Item("host"), rfc9421.Item("host")], rfc9421.ComponentError),
        ([rfc9421.Item(rfc9421.Token("host"))], rfc9421.ComponentError),
        ([rfc9421.Item("x-non-ascii")], rfc9421.ComponentError),
    ],
)
def test_signature_base__rejects(components: list[rfc9421.Item], error: type[Exception]) -> None:
    context = rfc9421.MessageContext(
        {"Host": "h", "X-Non-Ascii": "é"}, method="GET", url="https://h/"
    )
    with pytest.raises(error):
        rfc9421.signature_base(components, "()", context)


# -- The RFC 9421 scheme of httpsig ----------------------------------------------------------

NOW = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)
INBOX = "https://communs.example/projects/alice/inbox?x=1"
BODY = b'{"type":"Follow"}'


def signing_key(key_id: str, fixture: str) -> SigningKey:
    _, private = load_keys(fixture)
    assert isinstance(private, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey))
    return SigningKey(key_id, private)


RSA_KEY = signing_key("https://remote.example/actor#main-key", "test-key-rsa.pem")
ED_KEY = signing_key("https://remote.example/actor#ed25519-key", "test-key-ed25519.pem")


def signed_post(key: SigningKey, body: bytes = BODY) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    return headers | sign_request(
        method="POST", url=INBOX, headers=headers, body=body, key=key, scheme="rfc9421", now=NOW
    )


@pytest.mark.parametrize("key", [RSA_KEY, ED_KEY], ids=["rsa", "ed25519"])
def test_sign_request__rfc9421_round_trip(key: SigningKey) -> None:
    headers = signed_post(key)

    result = verify_request(
        method="POST",
        url=INBOX,
        headers=headers,
        body=BODY,
        public_key=key.private_key.public_key(),
        now=NOW,
    )

    assert result == Verification("ok", key.key_id)
    alg = "rsa-v1_5-sha256" if isinstance(key.private_key, rsa.RSAPrivateKey) else "ed25519"
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest" "content-type");'
        f'created={int(NOW.timestamp())};keyid="{key.key_id}";alg="{alg}"'
    )
    assert headers["Content-Digest"] == "sha-256=:GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww=:"


def test_sign_request__rfc9421_target_uri_is_the_one_sent() -> None:
    # Given an inbox URI spelled with an upper-case host, the default port and a fragment
    headers = sign_request(
        method="GET",
        url="HTTPS://Communs.EXAMPLE:443/inbox#x",
        headers={},
        body=None,
        key=RSA_KEY,
        scheme="rfc9421",
        now=NOW,
    )

    # When the receiver rebuilds the URL from the request line and Host, as servers do
    result = verify_request(
        method="GET",
        url="https://communs.example/inbox",
        headers=headers,
        body=None,
        public_key=RSA_KEY.private_key.public_key(),
        now=NOW,
    )

    # Then it matches what was signed
    assert result.ok, result
    assert headers["Host"] == "communs.example"


def test_sign_request__rfc9421_get_covers_method_and_target() -> None:
    key = RSA_KEY
    headers = sign_request(
        method="GET", url=INBOX, headers={}, body=b"", key=key, scheme="rfc9421", now=NOW
    )

    parsed = parse_signature(method="GET", url=INBOX, headers=headers, now=NOW)

    assert isinstance(parsed, SignedRequest)
    assert parsed.covered == ("@method", "@target-uri")
    assert parsed.signing_string == (
        b'"@method": GET\n"@target-uri": '
        + INBOX.encode()
        + b'\n"@signature-params": '
        + headers["Signature-Input"].removeprefix("sig1=").encode()
    )
    assert "Content-Digest" not in headers
    assert verify_signature(parsed, key.private_key.public_key(), body=None).ok


def mutate(headers: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in headers[name]
    return headers | {name: headers[name].replace(old, new, 1)}


Mutation = tuple[Callable[[dict[str, str]], dict[str, str]], dict[str, Any], str]

RFC9421_MUTATIONS: dict[str, Mutation] = {
    "content_type": (lambda h: h | {"Content-Type": "text/html"}, {}, "bad_signature"),
    "body": (lambda h: h, {"body": b'{"type":"Undo"}'}, "digest_mismatch"),
    "method": (lambda h: h, {"method": "PUT"}, "bad_signature"),
    "path": (lambda h: h, {"url": INBOX.replace("alice", "bob")}, "bad_signature"),
    "query": (lambda h: h, {"url": INBOX + "&y=2"}, "bad_signature"),
    "stale": (lambda h: h, {"now": NOW.replace(hour=13, minute=6)}, "expired"),
    "future": (lambda h: h, {"now": NOW.replace(hour=10, minute=59)}, "future_date"),
    "alg_name": (
        lambda h: mutate(h, "Signature-Input", "rsa-v1_5-sha256", "rsa-pss-sha512"),
        {},
        "bad_signature",
    ),
    "unknown_alg": (
        lambda h: mutate(h, "Signature-Input", "rsa-v1_5-sha256", "hmac-sha256"),
        {},
        "unsupported_algorithm",
    ),
    "no_digest_coverage": (
        lambda h: mutate(h, "Signature-Input", ' "content-digest"', ""),
        {},
        "weak_coverage",
    ),
    "no_target_uri": (
        lambda h: mutate(h, "Signature-Input", ' "@target-uri"', ""),
        {},
        "weak_coverage",
    ),
    "no_keyid": (
        lambda h: mutate(h, "Signature-Input", "keyid=", "kid="),
        {},
        "malformed_signature",
    ),
    "no_created": (
        lambda h: mutate(h, "Signature-Input", "created=", "made="),
        {},
        "malformed_signature",
    ),
    "created_string": (
        lambda h: mutate(h, "Signature-Input", f"created={int(NOW.timestamp())}", 'created="1"'),
        {},
        "malformed_signature",
    ),
    "expires_in_past": (
        lambda h: mutate(
            h, "Signature-Input", ";alg", f";expires={int(NOW.timestamp()) - 7200};alg"
        ),
        {},
        "expired",
    ),
    "absent_header": (
        lambda h: {k: v for k, v in h.items() if k != "Content-Type"},
        {},
        "missing_header",
    ),
    "unsigned": (
        lambda h: {k: v for k, v in h.items() if k != "Signature"},
        {},
        "missing_signature",
    ),
    "duplicate_label": (
        lambda h: h | {"Signature": h["Signature"] + ", " + h["Signature"]},
        {},
        "malformed_signature",
    ),
    "label_mismatch": (
        lambda h: mutate(h, "Signature", "sig1=", "sig2="),
        {},
        "malformed_signature",
    ),
    "garbage": (lambda h: h | {"Signature-Input": "sig1=(((("}, {}, "malformed_signature"),
    "signature_not_bytes": (
        lambda h: h | {"Signature": 'sig1="abc"'},
        {},
        "malformed_signature",
    ),
    "signature_not_base64": (
        lambda h: mutate(h, "Signature", "sig1=:", "sig1=:*"),
        {},
        "malformed_signature",
    ),
    "signature_bits": (
        lambda h: mutate(h, "Signature", "sig1=:", "sig1=:AAAA"),
        {},
        "bad_signature",
    ),
    "unsupported_component": (
        lambda h: mutate(h, "Signature-Input", '"@method"', '"@method";req'),
        {},
        "malformed_signature",
    ),
}


@pytest.mark.parametrize("case", RFC9421_MUTATIONS, ids=str)
def test_verify_request__rfc9421_mutation_fails(case: str) -> None:
    # Given a valid RSA-signed POST
    change_headers, overrides, reason = RFC9421_MUTATIONS[case]
    key = RSA_KEY
    request: dict[str, Any] = {"method": "POST", "url": INBOX, "body": BODY, "now": NOW}

    # When one signed part is changed
    result = verify_request(
        headers=change_headers(signed_post(key)),
        public_key=key.private_key.public_key(),
        **(request | overrides),
    )

    # Then it is refused for that reason
    assert result.reason == reason, result


def test_verify_request__rfc9421_other_key() -> None:
    other, _ = load_keys("test-key-rsa-pss.pem")
    result = verify_request(
        method="POST",
        url=INBOX,
        headers=signed_post(RSA_KEY),
        body=BODY,
        public_key=other,
        now=NOW,
    )
    assert result.reason == "bad_signature"


def test_verify_request__rfc9421_key_type_mismatch() -> None:
    ed_public = ED_KEY.private_key.public_key()
    result = verify_request(
        method="POST",
        url=INBOX,
        headers=signed_post(RSA_KEY),
        body=BODY,
        public_key=ed_public,
        now=NOW,
    )
    assert result.reason == "key_type_mismatch"


def test_verify_request__rfc9421_without_alg_infers_it_from_the_key() -> None:
    # Given a signature whose parameters omit alg (the RFC allows it; the key decides)
    key = ED_KEY
    headers = {"Content-Type": "application/json"}
    headers |= sign_request(
        method="GET", url=INBOX, headers=headers, body=None, key=key, scheme="rfc9421", now=NOW
    )
    params = headers["Signature-Input"].removeprefix("sig1=").replace(';alg="ed25519"', "")
    base = f'"@method": GET\n"@target-uri": {INBOX}\n"@signature-params": {params}'.encode()
    signature = base64.b64encode(rfc9421.sign_bytes(key.private_key, base)).decode()
    headers |= {"Signature-Input": f"sig1={params}", "Signature": f"sig1=:{signature}:"}

    # When / Then
    parsed = parse_signature(method="GET", url=INBOX, headers=headers, now=NOW)
    assert isinstance(parsed, SignedRequest) and parsed.algorithm == ""
    assert verify_signature(parsed, key.private_key.public_key(), body=None).ok


def test_parse_signature__rfc9421_prefers_label_sig1() -> None:
    key = RSA_KEY
    headers = signed_post(key)
    headers["Signature-Input"] = (
        'other=("@method");created=1;keyid="x", ' + headers["Signature-Input"]
    )
    headers["Signature"] = "other=:AAAA:, " + headers["Signature"]

    parsed = parse_signature(method="POST", url=INBOX, headers=headers, now=NOW)

    assert isinstance(parsed, SignedRequest) and parsed.key_id == key.key_id


# -- Cross-check with the independent http-message-signatures package ----------------------


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [(RSA_KEY, algorithms.RSA_V1_5_SHA256), (ED_KEY, algorithms.ED25519)],
    ids=["rsa", "ed25519"],
)
def test_verify_request__accepts_http_message_signatures(key: SigningKey, algorithm: type) -> None:
    # Given a request signed by pyauth's http-message-signatures
    message = Message(
        "POST", INBOX, {"Host": "communs.example", "Content-Type": "application/json"}
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key.key_id: key.private_key}),
    )
    signer.sign(
        message,
        key_id=key.key_id,
        created=NOW,
        label="sig1",
        body=BODY,
        covered_component_ids=("@method", "@target-uri", "content-type"),
    )

    # When / Then
    result = verify_request(
        method="POST",
        url=INBOX,
        headers=message.headers,
        body=BODY,
        public_key=key.private_key.public_key(),
        now=NOW,
    )
    assert result == Verification("ok", key.key_id)


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [(RSA_KEY, algorithms.RSA_V1_5_SHA256), (ED_KEY, algorithms.ED25519)],
    ids=["rsa", "ed25519"],
)
def test_sign_request__verified_by_http_message_signatures(
    key: SigningKey, algorithm: type
) -> None:
    # Given a request we signed just now (the package checks created against its clock)
    message = Message("POST", INBOX, {"Content-Type": "application/json"})
    message.headers |= sign_request(
        method="POST", url=INBOX, headers=message.headers, body=BODY, key=key, scheme="rfc9421"
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(
            public_keys={key.key_id: key.private_key.public_key()}, private_keys={}
        ),
    )

    # When
    (result,) = verifier.verify(message, body=BODY)

    # Then
    assert result.parameters["keyid"] == key.key_id
    assert list(result.covered_components) == [
        '"@method"',
        '"@target-uri"',
        '"content-digest"',
        '"content-type"',
        '"@signature-params"',
    ]


def test_authority__international_host_in_its_idna_form() -> None:
    # What goes on the wire (Host, TLS) is the punycode form, so that is what is signed
    assert rfc9421.authority("https://Bücher.example:8443/inbox") == "xn--bcher-kva.example:8443"
