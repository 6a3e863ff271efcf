"""Understanding activities by meaning, not by spelling (JSON-LD compaction with PyLD).

Handlers read the short names of our own documents (``goal``, ``amount``, ``inReplyTo``). A
peer that compacts JSON-LD with its own context may spell the same terms as full IRIs
(``https://w3id.org/communs/ns#goal``), as prefixed names (``schema:amount``) or under other
names; the meaning is the same. Such a document is compacted against our context first.

Our own documents and Mastodon's (only the ActivityStreams and security contexts, those of
proofs, inline terms that agree with ours, no key spelled as an IRI) are read as they are: the
common case pays a walk over the keys, never a JSON-LD processor. The document loader serves
only the contexts bundled here (ActivityStreams, security v1, ours) and never fetches anything:
a context it does not bundle is taken as defining nothing.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, Final

from schemas.context import AS2, COMMUNS_NS, MASTODON_TERMS, OBJECT_CONTEXT, SECURITY

__all__ = [
    "COMMUNS_CONTEXT_URL",
    "MAX_COMPACTED_ENTRIES",
    "compact",
    "needs_compaction",
    "understood",
]

#: The URL of our context document as JSON-LD tools name it (the namespace, without ``#``).
COMMUNS_CONTEXT_URL: Final = COMMUNS_NS.rstrip("#")
#: Larger documents are read as they are: compaction is slow work for a shared worker.
MAX_COMPACTED_ENTRIES: Final = 5_000

#: Every term we read, with its definition: an inline context defining one of them otherwise
#: changes its meaning, so the document is compacted.
_TERMS: Final[dict[str, Any]] = {**MASTODON_TERMS, **OBJECT_CONTEXT[1]}
#: The context documents are compacted against: the terms of every document we read.
_CONTEXT: Final[list[Any]] = [AS2, SECURITY, _TERMS]
_PREFIXES: Final = {
    "as": "https://www.w3.org/ns/activitystreams#",
    "sec": "https://w3id.org/security#",
    **{t: v for t, v in _TERMS.items() if isinstance(v, str) and v.endswith(("#", "/"))},
}


def _iri_of(definition: Any) -> str | None:
    iri = definition.get("@id") if isinstance(definition, dict) else definition
    if not isinstance(iri, str):
        return None
    prefix, colon, rest = iri.partition(":")
    return _PREFIXES[prefix] + rest if colon and prefix in _PREFIXES else iri


#: Full IRI → our short name, for the terms a compaction may leave spelled as IRIs.
_SHORT: Final = {
    iri: term
    for term, definition in _TERMS.items()
    if (iri := _iri_of(definition)) is not None and term not in _PREFIXES
}


#: Context URLs of the documents we read as they are: ActivityStreams, the security terms of
#: actors' keys, and those of FEP-8b32 proofs (Fedify sends them; they define no term we read).
_USUAL_URLS: Final = frozenset(
    {
        AS2,
        SECURITY,
        "https://w3id.org/security/data-integrity/v1",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/security/multikey/v1",
    }
)


def _usual_context(context: Any) -> bool:
    """Whether ``context`` is ours or Mastodon's usual one: the ActivityStreams and security
    contexts, and inline terms that mean what ours mean."""
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str):
            if entry not in _USUAL_URLS:
                return False
        elif isinstance(entry, dict):
            if any(term in _TERMS and _TERMS[term] != value for term, value in entry.items()):
                return False
        else:
            return False
    return True


def _unusual_key(key: str) -> bool:
    return ":" in key or (key.startswith("@") and key != "@context")


def _spelled_otherwise(value: Any) -> bool:
    """Whether ``value`` spells a key or a type as an IRI, a prefixed name or a keyword, or
    defines a context of its own."""
    if isinstance(value, list):
        return any(_spelled_otherwise(item) for item in value)
    if not isinstance(value, dict):
        return False
    for key, item in value.items():
        if _unusual_key(key) or (key == "@context" and not _usual_context(item)):
            return True
        if key == "type" and any(isinstance(t, str) and ":" in t for t in _listed(item)):
            return True
        if key != "@context" and isinstance(item, (dict, list)) and _spelled_otherwise(item):
            return True
    return False


def _entries(value: Any, limit: int) -> int:
    """Return how many members and items ``value`` holds, counting no further than ``limit``."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return 0
    count = len(items)
    for item in items:
        if count > limit:
            break
        count += _entries(item, limit - count)
    return count


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def needs_compaction(document: dict[str, Any]) -> bool:
    """Whether ``document`` must be compacted before its terms are read by name."""
    if "@context" in document and not _usual_context(document["@context"]):
        return True
    return _spelled_otherwise(document)


class _BundledLoader:
    """A PyLD document loader serving only bundled contexts; it never fetches.

    A context it does not bundle is taken as defining nothing: its terms stay unknown (PyLD
    spells them as blank nodes, read back by their names), the rest of the document is kept.
    """

    def __init__(self) -> None:
        from pyld.documentloader.frozen import BUNDLED_CONTEXTS, FrozenDocumentLoader

        ours = {"@context": {"as": _PREFIXES["as"], **_TERMS}}
        bundled = {AS2: BUNDLED_CONTEXTS[AS2], SECURITY: BUNDLED_CONTEXTS[SECURITY]}
        self._frozen = FrozenDocumentLoader({**bundled, COMMUNS_CONTEXT_URL: ours})

    def __call__(self, url: str, options: dict[str, Any]) -> Any:
        if url not in self._frozen.documents:
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": {"@context": {}},
            }
        return self._frozen(url, options)


@cache
def _loader() -> _BundledLoader:
    return _BundledLoader()


#: PyLD's caches and the loader's parsed files are shared and not safe across threads.
_compacting = threading.Lock()


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """Return ``document`` compacted against our context, in the short names we read.

    Raises ``ValueError`` when it cannot be: it is not valid JSON-LD, or it is too large.
    Slow work (a millisecond for a small activity): callers run it off the event loop.
    """
    if _entries(document, MAX_COMPACTED_ENTRIES) > MAX_COMPACTED_ENTRIES:
        raise ValueError(f"more than {MAX_COMPACTED_ENTRIES} entries to compact")
    from pyld import jsonld  # imported on first use: 0.15 s that most processes never need

    options = {"documentLoader": _loader(), "base": None}
    try:
        with _compacting:
            compacted = jsonld.compact(document, {"@context": _CONTEXT}, options)
    except (jsonld.JsonLdError, RecursionError, TypeError, ValueError) as exc:
        raise ValueError(f"not understood as JSON-LD: {exc}".splitlines()[0][:300]) from None
    if not isinstance(compacted, dict):
        raise ValueError("not understood as JSON-LD: not an object")
    compacted.pop("@context", None)
    result = _lifted(compacted)
    assert isinstance(result, dict)
    return result


def _lifted(value: Any) -> Any:
    """Return ``value`` with what compaction leaves spelled otherwise in our short names:
    terms as full IRIs, prefixed names or blank nodes (a value their definition does not fit,
    a term of a context we do not bundle), value objects as their value, language maps as
    text."""
    if isinstance(value, list):
        return [_lifted(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return _lifted(value["@value"])
    lifted: dict[str, Any] = {}
    for key, item in value.items():
        name = _short_name(key)
        if name not in lifted:
            lifted[name] = _lifted(item)
    for text in ("content", "name", "summary"):
        languages = lifted.get(f"{text}Map")
        if text not in lifted and isinstance(languages, dict) and languages:
            lifted[text] = next(iter(languages.values()))
    if "type" in lifted:
        types = [_short_name(t) if isinstance(t, str) else t for t in _listed(lifted["type"])]
        lifted["type"] = types if isinstance(lifted["type"], list) else types[0]
    return lifted


def _short_name(name: str) -> str:
    """Return the short name we read for a key or a type, however it was spelled."""
    if name in ("@id", "@type"):
        return name[1:]
    if name.startswith("_:"):
        return name[2:]
    iri = _iri_of(name) or name
    return _SHORT.get(iri) or iri.removeprefix(_PREFIXES["as"])


def understood(document: dict[str, Any]) -> dict[str, Any]:
    """Return ``document`` in the short names we read: as it is when it already uses them,
    else compacted; as it is again when it cannot be compacted (read leniently, as before)."""
    if not needs_compaction(document):
        return document
    try:
        return compact(document)
    except ValueError:
        return document
