"""ActivityStreams actor documents, as we serve them and as we read remote ones."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.base import APModel
from schemas.context import ACTOR_CONTEXT

__all__ = [
    "ACTOR_TYPES",
    "PROPERTY_MAX",
    "Actor",
    "Endpoints",
    "Image",
    "Multikey",
    "PropertyValue",
    "PublicKey",
    "as2_type_of_kind",
]

ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})

#: The longest profile field name or value Mastodon keeps.
PROPERTY_MAX = 2047


class PublicKey(APModel):
    id: str
    owner: str
    public_key_pem: str


class Multikey(APModel):
    """An Ed25519 key in ``assertionMethod`` (FEP-521a): what our Object Integrity Proofs name."""

    id: str
    type: Literal["Multikey"] = "Multikey"
    controller: str
    public_key_multibase: str


class Endpoints(APModel):
    shared_inbox: str | None = None


class PropertyValue(APModel):
    type: Literal["PropertyValue"] = "PropertyValue"
    name: str = Field(max_length=PROPERTY_MAX)
    value: str = Field(max_length=PROPERTY_MAX)


class Image(APModel):
    type: Literal["Image"] = "Image"
    media_type: str
    url: str


class Actor(APModel):
    """An actor document; ``to_document`` adds the context."""

    id: str
    type: str
    preferred_username: str
    name: str | None = None
    summary: str | None = None
    url: str | None = None
    inbox: str
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    endpoints: Endpoints | None = None
    public_key: PublicKey | None = None
    assertion_method: list[Multikey] | None = None
    manually_approves_followers: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    published: str | None = None
    icon: Image | None = None
    image: Image | None = None
    attachment: list[PropertyValue] | None = None
    attribution_domains: list[str] | None = None
    suspended: bool | None = None

    def to_document(self) -> dict[str, Any]:
        """Return the JSON-LD document with Mastodon-compatible context."""
        return {"@context": ACTOR_CONTEXT, **self.to_wire()}


def as2_type_of_kind(kind: str) -> str:
    """Return the AS2 actor type for a Communs actor kind."""
    return {"person": "Person", "collective": "Group"}.get(kind, "Organization")
