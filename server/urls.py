"""Every local IRI, minted in one place from ``COMMUNS_BASE_URL`` (docs/architecture.md, "URL
space")."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

__all__ = ["Urls", "id_time", "new_id"]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
#: Every 10-bit value as its two digits: an id is 13 look-ups (base64.b32encode is Python).
_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]


def new_id() -> str:
    """Return a new opaque id: 26 base32 characters, sortable by creation time, never reused."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def id_time(object_id: str) -> datetime:
    """Return when an id of ``new_id`` was minted (its first 48 bits are milliseconds)."""
    value = 0
    for char in object_id.lower():
        value = value * 32 + max(_CROCKFORD.find(char), 0)
    return datetime.fromtimestamp((value >> 80) / 1000, UTC)


class Urls:
    """The URL space of one instance."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    @property
    def domain(self) -> str:
        """The handle domain: host[:port] of the base URL."""
        return urlsplit(self.base).netloc

    def url(self, path: str) -> str:
        """Return the absolute URL of a local path."""
        return f"{self.base}{path}"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def namespace(self) -> str:
        return f"{self.base}/ns"

    def actor(self, username: str) -> str:
        return f"{self.base}/actors/{username}"

    def actor_collection(self, username: str, name: str) -> str:
        """``inbox``, ``outbox``, ``followers``, ``following`` or ``featured`` of an actor."""
        return f"{self.base}/actors/{username}/{name}"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def assertion_key_id(self, actor_uri: str) -> str:
        """The id of an actor's Ed25519 ``Multikey``, which signs its proofs (FEP-521a)."""
        return f"{actor_uri}#ed25519-key"

    def media(self, path: str) -> str:
        """Return the URL of a stored picture (``server.media.files``)."""
        return f"{self.base}/media/{path}"

    def project(self, object_id: str) -> str:
        return f"{self.base}/projects/{object_id}"

    def funding_manifest(self, project_id: str) -> str:
        """The funding.json of a project (FLOSS/fund), beside its page."""
        return f"{self.base}/projects/{project_id}/funding.json"

    def funding_call(self, object_id: str) -> str:
        return f"{self.base}/funding-calls/{object_id}"

    def declaration(self, object_id: str) -> str:
        return f"{self.base}/declarations/{object_id}"

    def pledge(self, object_id: str) -> str:
        return f"{self.base}/pledges/{object_id}"

    def badge(self, kind: str, object_id: str, *, language: str) -> str:
        """The SVG badge of a project or funding call (``kind``: projects, funding-calls),
        written in ``language``."""
        return f"{self.base}/badges/{kind}/{object_id}.svg?lang={language}"

    def preview(self, object_id: str, *, language: str) -> str:
        """The OpenGraph picture of a funding call, written in ``language``."""
        return f"{self.base}/previews/funding-calls/{object_id}.png?lang={language}"

    def activity(self, object_id: str) -> str:
        return f"{self.base}/activities/{object_id}"

    def follow(self, object_id: str) -> str:
        return f"{self.base}/follows/{object_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/?tag={name}"

    def is_local(self, uri: str) -> bool:
        """Whether an IRI was minted by this instance."""
        return uri == self.base or uri.startswith(self.base + "/")
