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
    "OBJECT_CONTEXT",
    "SECURITY",
]

AS2: Final = "https://www.w3.org/ns/activitystreams"
SECURITY: Final = "https://w3id.org/security/v1"
AS2_PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
COMMUNS_NS: Final = "https://w3id.org/communs/ns#"

_MASTODON_TERMS: Final[dict[str, Any]] = {
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
    "license": "schema:license",
    "codeRepository": {"@id": "schema:codeRepository", "@type": "@id"},
    "MonetaryAmount": "schema:MonetaryAmount",
    "amount": "schema:amount",
    "value": "schema:value",
    "currency": "schema:currency",
}

ACTOR_CONTEXT: Final[list[Any]] = [AS2, SECURITY, _MASTODON_TERMS]
OBJECT_CONTEXT: Final[list[Any]] = [AS2, COMMUNS_TERMS]
