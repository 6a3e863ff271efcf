"""A domain rule covers the domain and its subdomains, on any port, never a look-alike."""

from __future__ import annotations

import pytest

from schemas.states import DomainBlock
from server.storage.domains import domain_variants, rule_for


@pytest.mark.parametrize(
    ("host", "variants"),
    [
        ("example", ("example",)),
        ("a.b.example", ("a.b.example", "b.example", "example")),
        ("a.example:8443", ("a.example:8443", "a.example", "example:8443", "example")),
        ("127.0.0.1:8001", ("127.0.0.1:8001", "127.0.0.1")),
        ("10.0.0.1", ("10.0.0.1",)),
        ("[::1]:8443", ("[::1]:8443", "[::1]")),
        ("evil.example.", ("evil.example", "example")),
        (
            "user:secret@evil.example:8443",
            ("evil.example:8443", "evil.example", "example:8443", "example"),
        ),
    ],
)
def test_domain_variants__host_then_each_parent_domain(
    host: str, variants: tuple[str, ...]
) -> None:
    assert domain_variants(host) == variants


def test_rule_for__most_specific_rule_wins_and_lookalikes_are_free() -> None:
    rules = {"example.com": "silence", "bad.example.com": "reject"}
    assert rule_for(rules, "example.com") == DomainBlock.silence
    assert rule_for(rules, "social.example.com:8443") == DomainBlock.silence
    assert rule_for(rules, "a.bad.example.com") == DomainBlock.reject
    assert rule_for(rules, "otherexample.com") == DomainBlock.none
    assert rule_for(rules, "example.community") == DomainBlock.none


def test_rule_for__a_rule_with_a_port_covers_that_port_only() -> None:
    rules = {"example.com:8443": "reject"}
    assert rule_for(rules, "social.example.com:8443") == DomainBlock.reject
    assert rule_for(rules, "social.example.com") == DomainBlock.none
    assert rule_for(rules, "example.com:443") == DomainBlock.none
