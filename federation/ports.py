"""What the federation layer needs from storage, as Protocols the server implements.

Keeping SQL behind these lets ``federation`` be tested with in-memory fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ActorStore",
    "InboxStore",
    "KnownKey",
    "KnownMultikey",
    "MultikeyStore",
    "RemoteActor",
]


@dataclass(frozen=True)
class KnownKey:
    """A public key we hold, and the actor that owns it."""

    key_id: str
    actor_uri: str
    public_key_pem: str


@dataclass(frozen=True)
class KnownMultikey:
    """An actor's Ed25519 assertion key (FEP-521a), as its ``publicKeyMultibase``."""

    key_id: str
    controller: str
    public_key_multibase: str


@dataclass(frozen=True)
class RemoteActor:
    """The parts of a remote actor document we keep (HTML already sanitised)."""

    uri: str
    type: str
    username: str
    domain: str
    name: str
    summary_html: str
    url: str | None
    inbox_uri: str
    shared_inbox_uri: str | None
    outbox_uri: str | None
    followers_uri: str | None
    following_uri: str | None
    key_id: str
    public_key_pem: str
    manually_approves_followers: bool
    #: The avatar and header as ``{"type": "Image", "url", "mediaType"?}``, when published.
    icon: dict[str, Any] | None = None
    image: dict[str, Any] | None = None


class ActorStore(Protocol):
    """Remote actors and their keys."""

    async def find_key(self, key_id: str) -> KnownKey | None:
        """Return the stored key with this id, if any."""

    async def save_remote_actor(self, actor: RemoteActor) -> None:
        """Insert or refresh a remote actor (never a local one)."""

    async def knows_actor(self, actor_uri: str) -> bool:
        """Whether this actor is stored."""


class MultikeyStore(Protocol):
    """The assertion keys of actors, which Object Integrity Proofs name."""

    async def find_multikey(self, controller: str) -> KnownMultikey | None:
        """Return the assertion key stored for the actor ``controller``, if any."""

    async def save_multikey(self, key: KnownMultikey) -> None:
        """Remember a remote actor's verified assertion key (never a local actor's)."""


class InboxStore(Protocol):
    """Where accepted activities go, and what moderation says about hosts."""

    async def is_blocked(self, host: str) -> bool:
        """Whether activities from ``host`` are refused (domain block ``reject``)."""

    async def record_incoming(
        self, *, uri: str, type: str, actor_uri: str, object_uri: str | None, body: bytes
    ) -> bool:
        """Store an accepted activity for processing; return ``False`` if its id was known."""

    async def host_is_alive(self, host: str) -> None:
        """Note that ``host`` sent us a valid signed request (resets its failure days)."""
