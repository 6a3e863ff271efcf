"""JSON-LD contexts: the two well-known URLs plus our terms defined inline (FEDERATION.md,
"Vocabulary").

Peers resolve only well-known contexts, so the Communs vocabulary is never referenced by URL
inside ``@context``; its terms are spelled out in a map, as Mastodon does with ``toot:``.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "ACTOR_CONTEXT",
    "AS2",
    "AS2_PUBLIC",
    "COMMUNS_NS",
    "COMMUNS_TERMS",
    "DATA_INTEGRITY",
    "MASTODON_TERMS",
    "MULTIKEY",
    "OBJECT_CONTEXT",
    "SECURITY",
    "with_data_integrity",
]

AS2: Final = "https://www.w3.org/ns/activitystreams"
SECURITY: Final = "https://w3id.org/security/v1"
#: Defines ``proof`` and ``DataIntegrityProof`` (FEP-8b32); preloaded by Fedify and others.
DATA_INTEGRITY: Final = "https://w3id.org/security/data-integrity/v1"
#: Defines ``Multikey``, ``controller`` and ``publicKeyMultibase`` (FEP-521a).
MULTIKEY: Final = "https://w3id.org/security/multikey/v1"
AS2_PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
COMMUNS_NS: Final = "https://w3id.org/communs/ns#"

#: The terms Mastodon defines inline in its actors' ``@context``, as we define them too.
MASTODON_TERMS: Final[dict[str, Any]] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "suspended": "toot:suspended",
    "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    # FEP-521a: the keys that sign our objects (only DID/CID contexts define it at top level).
    "assertionMethod": {
        "@id": "https://w3id.org/security#assertionMethod",
        "@type": "@id",
        "@container": "@set",
    },
}

COMMUNS_TERMS: Final[dict[str, Any]] = {
    "communs": COMMUNS_NS,
    "schema": "http://schema.org#",
    "Hashtag": "as:Hashtag",
    "sensitive": "as:sensitive",
    "objectType": "communs:objectType",
    "status": "communs:status",
    "sector": "communs:sector",
    "goal": {"@id": "communs:goal"},
    "raised": {"@id": "communs:raised"},
    "raisedBySector": {"@id": "communs:raisedBySector", "@container": "@index"},
    "project": {"@id": "communs:project", "@type": "@id"},
    "fundingCall": {"@id": "communs:fundingCall", "@type": "@id"},
    "recordedBy": {"@id": "communs:recordedBy", "@type": "@id"},
    "serviceKind": "communs:serviceKind",
    "actorKind": "communs:actorKind",
    "areaServed": "schema:areaServed",
    "description": "schema:description",
    "license": "schema:license",
    "codeRepository": {"@id": "schema:codeRepository", "@type": "@id"},
    "MonetaryAmount": "schema:MonetaryAmount",
    "amount": "schema:amount",
    "value": "schema:value",
    "currency": "schema:currency",
}

ACTOR_CONTEXT: Final[list[Any]] = [AS2, SECURITY, MULTIKEY, MASTODON_TERMS]
OBJECT_CONTEXT: Final[list[Any]] = [AS2, COMMUNS_TERMS]


def with_data_integrity(context: Any) -> list[Any]:
    """Return ``context`` with the Data Integrity context after ActivityStreams', so that
    JSON-LD readers (Fedify among them) see a document's ``proof``."""
    entries = list(context) if isinstance(context, list) else [context]
    if DATA_INTEGRITY in entries:
        return entries
    at = entries.index(AS2) + 1 if AS2 in entries else 0
    return [*entries[:at], DATA_INTEGRITY, *entries[at:]]
