"""The inbox's host of an IRI: its fast path for plain hosts agrees with ``urlsplit``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from federation.inbox import _host

IRIS = [
    "https://remote.example/users/a",
    "https://Remote.Example:8443/users/a?x#y",
    "http://remote.example",
    "https://remote.example:/a",
    "https://remote.example#frag",
    "https://remote.example\n",
    "https://remote.example\n.evil.example/",
    "https://a.example@evil.example/",
    "https://a.example\\@evil.example/",
    "https://:443/a",
    "https://.example/a",
    "https:///a",
    "HTTPS://remote.example/a",
    " https://remote.example/a",
    "https://[::1]:8080/a",
    "https://[::1/a",
    "https://re%2emote.example/",
    "ftp://remote.example/a",
    "https://remote.example;x/",
    "",
]


def _reference(uri: str) -> str | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.hostname else None


@pytest.mark.parametrize("uri", IRIS)
def test_host__agrees_with_urlsplit(uri: str) -> None:
    assert _host(uri) == _reference(uri)


def test_host__not_a_string() -> None:
    assert _host(None) is None and _host(["https://remote.example/"]) is None
