"""Understanding by meaning: which documents are compacted, what compaction gives, and a
document loader that serves bundled contexts only."""

from __future__ import annotations

from typing import Any

import pytest

from federation.jsonld import (
    COMMUNS_CONTEXT_URL,
    MAX_COMPACTED_ENTRIES,
    _loader,
    compact,
    needs_compaction,
    understood,
)
from schemas.context import ACTOR_CONTEXT, AS2, OBJECT_CONTEXT, SECURITY

COMMUNS = "https://w3id.org/communs/ns#"
MASTODON_NOTE_CONTEXT: list[Any] = [
    AS2,
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "Hashtag": "as:Hashtag",
    },
]


def create(context: Any, note: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": context,
        "id": "https://peer.example/activities/1",
        "type": "Create",
        "actor": "https://peer.example/users/a",
        "object": {
            "id": "https://peer.example/notes/1",
            "attributedTo": "https://peer.example/users/a",
        }
        | note,
    }


@pytest.mark.parametrize(
    "context",
    [
        AS2,
        [AS2],
        OBJECT_CONTEXT,
        ACTOR_CONTEXT,
        MASTODON_NOTE_CONTEXT,
        [AS2, SECURITY],
        [AS2, "https://w3id.org/security/data-integrity/v1"],  # FEP-8b32 proofs (Fedify)
    ],
)
def test_needs_compaction__not_for_our_context_nor_mastodons(context: Any) -> None:
    document = create(context, {"type": "Note", "objectType": "Project", "content": "<p>x</p>"})
    assert not needs_compaction(document)
    assert understood(document) is document


@pytest.mark.parametrize(
    "document",
    [
        create(AS2, {"type": "Note", f"{COMMUNS}objectType": "Project"}),
        create(AS2, {"type": "Note", "communs:objectType": "Project"}),
        create(AS2, {"@type": "Note"}),
        create(AS2, {"type": "as:Note"}),
        create([AS2, {"goal": "http://example.org/other#goal"}], {"type": "Note"}),
        create([AS2, {"schema": "https://schema.org/"}], {"type": "Note"}),
        create([AS2, "https://peer.example/context.jsonld"], {"type": "Note"}),
        create(AS2, {"type": "Note", "@context": {"objectType": "http://example.org/x"}}),
    ],
)
def test_needs_compaction__for_other_spellings_and_contexts(document: dict[str, Any]) -> None:
    assert needs_compaction(document)


def test_compact__full_iris_prefixed_names_and_value_objects_become_our_short_names() -> None:
    document = create(
        [AS2, {"c": COMMUNS, "s": "http://schema.org#"}],
        {
            "type": ["Note", "https://www.w3.org/ns/activitystreams#Article"],
            f"{COMMUNS}objectType": "FundingCall",
            "c:goal": {
                "type": "http://schema.org#MonetaryAmount",
                "s:value": {"@value": "50000.00"},
                "http://schema.org#currency": "EUR",
            },
            "c:project": {"id": "https://peer.example/projects/1"},
            "inReplyTo": {"type": "Link", "href": "https://communs.example/projects/1"},
            "content": "<p>x</p>",
        },
    )
    note = compact(document)["object"]
    assert note["type"] == ["Note", "Article"]
    assert note["objectType"] == "FundingCall"
    assert note["goal"] == {"type": "MonetaryAmount", "value": "50000.00", "currency": "EUR"}
    assert note["project"] == "https://peer.example/projects/1"
    assert note["inReplyTo"] == {"type": "Link", "href": "https://communs.example/projects/1"}


def test_compact__declaration_terms_in_full_iris_become_our_short_names() -> None:
    document = create(
        [AS2, {"c": COMMUNS}],
        {
            "type": "Note",
            "c:objectType": "ServiceOffer",
            f"{COMMUNS}project": {"id": "https://communs.example/projects/1"},
            "c:serviceKind": ["support", "hosting"],
            "c:actorKind": "cooperative",
            "http://schema.org#areaServed": ["FR-ARA", "BE"],
            "content": "<p>x</p>",
        },
    )
    note = compact(document)["object"]
    assert note["objectType"] == "ServiceOffer" and note["actorKind"] == "cooperative"
    assert note["project"] == "https://communs.example/projects/1"
    assert sorted(note["serviceKind"]) == ["hosting", "support"]
    assert sorted(note["areaServed"]) == ["BE", "FR-ARA"]


def test_compact__a_context_we_do_not_bundle_is_taken_as_defining_nothing() -> None:
    document = create(
        [AS2, "https://litepub.example/schemas/litepub-0.1.jsonld", {"@language": "und"}],
        {"type": "Note", "objectType": "Project", "sensitive": False, "content": "hi"},
    )
    note = compact(document)["object"]
    assert (note["type"], note["objectType"], note["sensitive"], note["content"]) == (
        "Note",
        "Project",
        False,
        "hi",
    )


def test_compact__refuses_what_is_too_large_or_not_json_ld() -> None:
    large = create(AS2, {"type": "Note", "tag": [{"name": str(n)} for n in range(3000)]})
    with pytest.raises(ValueError, match="entries"):
        compact(large)
    with pytest.raises(ValueError, match="JSON-LD"):
        compact(create([AS2, {"@version": 2}], {"type": "Note"}))
    assert MAX_COMPACTED_ENTRIES == 5_000


def test_loader__serves_bundled_contexts_and_never_fetches() -> None:
    loader = _loader()
    as2 = loader(AS2, {})["document"]["@context"]
    assert as2["inReplyTo"] == {"@id": "as:inReplyTo", "@type": "@id"}
    assert "publicKeyPem" in loader(SECURITY, {})["document"]["@context"]
    assert loader(COMMUNS_CONTEXT_URL, {})["document"]["@context"]["goal"] == {
        "@id": "communs:goal"
    }
    for url in ("https://peer.example/context.jsonld", "http://127.0.0.1/ctx"):
        assert loader(url, {})["document"] == {"@context": {}}
