"""Object Integrity Proofs (FEP-8b32, eddsa-jcs-2022): JCS, published vectors, round trips,
and tampered documents that must fail."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.multikeys import load_multikey, private_key_from_multibase
from federation.proofs import (
    MAX_PROOFS,
    Proof,
    ProofCheck,
    canonical,
    proofs_of,
    sign_document,
    verify_proof,
)

VECTORS = Path(__file__).parents[1] / "fixtures" / "proofs"
#: The key pair of the W3C and FEP-8b32 vectors (TestVectors/keyPair.json).
PUBLIC = load_multikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
PRIVATE = private_key_from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
ALICE_KEY = "https://server.example/users/alice#ed25519-key"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def vector(name: str) -> dict[str, Any]:
    return dict(json.loads((VECTORS / name).read_text()))


def only_proof(document: dict[str, Any]) -> Proof:
    proofs = proofs_of(document)
    assert isinstance(proofs, list) and len(proofs) == 1, proofs
    return proofs[0]


def verifies(document: dict[str, Any], key: Any = PUBLIC) -> bool:
    proofs = proofs_of(document)
    assert isinstance(proofs, list) and proofs, proofs
    return all(verify_proof(document, proof, key) for proof in proofs)


# ---------------------------------------------------------------------------------------------
# JCS: the samples of RFC 8785


def test_canonical__rfc8785_sample_of_section_3_2_2() -> None:
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert (
        canonical(json.loads(text))
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


def test_canonical__rfc8785_sorting_of_section_3_2_3() -> None:
    text = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return",'
        ' "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",'
        ' "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
        ' "\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    output = canonical(json.loads(text))
    assert output.startswith(b'{"\\r":"Carriage Return","1":"One",')
    assert list(json.loads(output).values()) == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


@pytest.mark.parametrize(
    ("ieee754", "expected"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_canonical__rfc8785_number_samples_of_appendix_b(ieee754: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(ieee754))
    assert canonical(number) == expected.encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53 + 1, {1: "x"}])
def test_canonical__refuses_what_jcs_cannot_write(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical(value)


def test_canonical__refuses_deep_nesting() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError):
        canonical(deep)


# ---------------------------------------------------------------------------------------------
# Published vectors


def test_verify_proof__w3c_eddsa_jcs_2022_vector() -> None:
    # The proof of this vector names its own @context, which starts the document's
    document = vector("w3c-eddsa-jcs-2022-signed.json")
    assert "@context" in document["proof"]
    assert verifies(document)


def test_verify_proof__fep_8b32_vector() -> None:
    assert verifies(vector("fep-8b32-create-signed.json"))


def test_sign_document__reproduces_the_fep_8b32_vector() -> None:
    # Given the FEP's document, its key and its time
    published = vector("fep-8b32-create-signed.json")
    unsigned = {k: v for k, v in published.items() if k != "proof"}

    # When we sign it
    signed = sign_document(unsigned, PRIVATE, verification_method=ALICE_KEY, created=CREATED)

    # Then Ed25519 being deterministic, the proof value is the FEP's, byte for byte
    assert signed["proof"]["proofValue"] == published["proof"]["proofValue"]
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": ALICE_KEY,
        "proofPurpose": "assertionMethod",
        "created": "2023-02-24T23:36:38Z",
        "proofValue": published["proof"]["proofValue"],
    }


# ---------------------------------------------------------------------------------------------
# Round trips and forgeries

DOCUMENT = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/data-integrity/v1",
    ],
    "id": "https://server.example/activities/2",
    "type": "Accept",
    "actor": "https://server.example/users/alice",
    "object": {
        "type": "Offer",
        "object": {"id": "https://a.example/pledges/1", "amount": {"value": "250.00"}},
    },
}


def signed_document(key: Ed25519PrivateKey = PRIVATE) -> dict[str, Any]:
    return sign_document(DOCUMENT, key, verification_method=ALICE_KEY, created=CREATED)


def test_sign_document__round_trip_and_input_untouched() -> None:
    document = signed_document()
    assert "proof" not in DOCUMENT
    assert verifies(document)
    assert verifies(json.loads(json.dumps(document, indent=2, sort_keys=True)))


def _amount(document: dict[str, Any]) -> None:
    document["object"]["object"]["amount"]["value"] = "2500.00"


def _member(document: dict[str, Any]) -> None:
    document["cc"] = ["https://www.w3.org/ns/activitystreams#Public"]


def _context(document: dict[str, Any]) -> None:
    document["@context"] = ["https://www.w3.org/ns/activitystreams"]


def _created(document: dict[str, Any]) -> None:
    document["proof"]["created"] = "2023-02-24T23:36:39Z"


def _method(document: dict[str, Any]) -> None:
    document["proof"]["verificationMethod"] = "https://server.example/users/alice#other"


def _signature(document: dict[str, Any]) -> None:
    other = signed_document(Ed25519PrivateKey.generate())
    document["proof"]["proofValue"] = other["proof"]["proofValue"]


@pytest.mark.parametrize(
    "tamper", [_amount, _member, _context, _created, _method, _signature], ids=lambda f: f.__name__
)
def test_verify_proof__tampered_document_fails(tamper: Any) -> None:
    document = signed_document()
    tamper(document)
    assert not verifies(document)


def test_verify_proof__another_key_fails() -> None:
    assert not verifies(signed_document(), Ed25519PrivateKey.generate().public_key())


def test_verify_proof__linked_data_signature_left_out() -> None:
    # Given a document signed with a proof, then with a Linked Data Signature (as Fedify does)
    document = signed_document() | {"signature": {"type": "RsaSignature2017", "x": "y"}}

    # Then the proof still holds
    assert verifies(document)


def test_sign_document__proof_set_of_two_signers() -> None:
    # Given a document signed by alice then by bob
    bob = Ed25519PrivateKey.generate()
    twice = sign_document(
        signed_document(), bob, verification_method="https://b.example/bob#k", created=CREATED
    )

    # Then each proof verifies with its signer's key, over the document without proofs
    first, second = proofs_of(twice)  # type: ignore[misc]
    assert verify_proof(twice, first, PUBLIC)
    assert verify_proof(twice, second, bob.public_key())
    assert not verify_proof(twice, second, PUBLIC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"cryptosuite": "eddsa-rdfc-2022"}, "unsupported"),
        ({"type": "Ed25519Signature2020"}, "unsupported"),
        ({"proofPurpose": "authentication"}, "unsupported"),
        ({"proofValue": "not-multibase"}, "malformed"),
        ({"proofValue": "z0OIl"}, "malformed"),
        ({"proofValue": "z3mJ"}, "malformed"),
        ({"verificationMethod": None}, "malformed"),
        ({"@context": ["https://www.w3.org/ns/credentials/v2"]}, "bad_context"),
    ],
)
def test_proofs_of__what_cannot_be_checked(change: dict[str, Any], reason: str) -> None:
    document = signed_document()
    document["proof"] |= change
    checked = proofs_of(document)
    assert isinstance(checked, ProofCheck) and checked.reason == reason


def test_proofs_of__bounded_and_typed() -> None:
    proof = signed_document()["proof"]
    assert proofs_of(DOCUMENT) == []
    assert isinstance(proofs_of(DOCUMENT | {"proof": [proof] * MAX_PROOFS}), list)
    assert proofs_of(DOCUMENT | {"proof": [proof] * (MAX_PROOFS + 1)}) == ProofCheck(
        "malformed", f"more than {MAX_PROOFS} proofs"
    )
    assert isinstance(proofs_of(DOCUMENT | {"proof": "z123"}), ProofCheck)
