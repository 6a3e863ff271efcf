"""Every accepted activity ends applied, ignored with a recorded reason, or answered: never a
crash retried until it errors (findings of issue 18: an Accept or Undo without ``object``, an
Offer's over-long amount or pledge id on PostgreSQL, list-typed fields)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from schemas.states import ActivityState
from server.inbox.worker import InboxWorker
from server.storage.models import Activity, FundingCall, Pledge
from tests.fakeremote import (  # noqa: F401  (fixtures)
    AS2,
    BOB,
    COOP,
    REMOTE,
    activity,
    app,
    client,
    coop_auth,
    deliver_and_process,
    remote,
)
from tests.server.test_pledge_offers import answers, offer, open_call


async def row_of(app: FastAPI, uri: str) -> Activity:
    async with app.state.communs.db.session() as session:
        return (await session.execute(select(Activity).where(Activity.uri == uri))).scalar_one()


async def assert_ended(app: FastAPI, uri: str, state: ActivityState) -> Activity:
    """The activity was processed once, to ``state``; an ignored one says why."""
    row = await row_of(app, uri)
    assert (row.state, row.attempts) == (state, 1), (row.state, row.error)
    assert bool(row.error) == (state == ActivityState.ignored), row.error
    return row


async def test_accept_and_undo__without_object_are_ignored_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given two pledges recorded by coop itself: rows with no Offer behind them
    call = await open_call(app, client)
    auth = await coop_auth(app)
    for funder in ("La Région", "La Ville"):
        recorded = await client.post(
            f"/api/v1/funding-calls/{call['id']}/pledges",
            json={
                "amount": {"amount": "10.00", "currency": "EUR"},
                "sector": "public",
                "funder_name": funder,
            },
            headers=auth,
        )
        assert recorded.status_code == 201, recorded.text

    # When bob sends an Accept and an Undo that name no object
    for number, kind in enumerate(("Accept", "Undo"), start=1):
        bare = activity(kind, number=number)
        del bare["object"]
        await deliver_and_process(app, client, bare)

        # Then each is ignored, with the reason recorded
        await assert_ended(app, bare["id"], ActivityState.ignored)


async def test_offer__over_long_amount_and_pledge_id_are_rejected_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    call = await open_call(app, client)
    long_amount = offer(call["uri"], 1, value="1" * 600)
    long_id = offer(call["uri"], 2)
    long_id["object"]["id"] = f"{REMOTE}/pledges/{'x' * 3000}"
    for document in (long_amount, long_id):
        await deliver_and_process(app, client, document, "/actors/coop/inbox")
        await assert_ended(app, document["id"], ActivityState.processed)
    rejects = await answers(app)
    assert [r["type"] for r in rejects] == ["Reject", "Reject"]
    assert all(0 < len(r["content"]) <= 500 for r in rejects)
    async with app.state.communs.db.session() as session:
        [kept] = (await session.execute(select(Pledge).where(Pledge.pledger_id != None))).scalars()
    assert kept.state == "rejected" and kept.uri == long_amount["object"]["id"]


async def test_offer__not_understood_is_rejected_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    call = await open_call(app, client)
    shapes = [f"{REMOTE}/pledges/1", {"id": f"{REMOTE}/pledges/2", "type": "Object"}, None]
    for number, pledge in enumerate(shapes, start=1):
        document = offer(call["uri"], number) | {"object": pledge}
        await deliver_and_process(app, client, document, "/actors/coop/inbox")
        await assert_ended(app, document["id"], ActivityState.processed)
    rejects = await answers(app)
    assert [r["type"] for r in rejects] == ["Reject"] * 3
    assert all("Pledge" in r["content"] for r in rejects)


async def test_activity__of_a_type_we_do_not_act_on_is_ignored_with_a_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    document = activity("Move", number=1)
    await deliver_and_process(app, client, document)
    row = await assert_ended(app, document["id"], ActivityState.ignored)
    assert "Move" in str(row.error)


# ---------------------------------------------------------------------------------------------
# Processing, fuzzed: whatever an accepted activity holds, it ends processed or ignored.

_KEYS = [
    "id", "type", "objectType", "actor", "object", "target", "inReplyTo", "content", "name",
    "status", "goal", "raised", "raisedBySector", "amount", "value", "currency", "sector",
    "fundingCall", "endTime", "published", "updated", "tag", "href", "attributedTo", "url",
    "publicKey", "preferredUsername", "inbox", "license", "codeRepository", "project",
    "https://w3id.org/communs/ns#goal", "schema:amount", "@type", "@id",
]  # fmt: skip
_ACTIVITY_TYPES = [
    "Follow", "Accept", "Reject", "Undo", "Offer", "Create", "Update", "Delete", "Like",
    "Announce", "Move",
]  # fmt: skip
_TYPES = [
    *_ACTIVITY_TYPES, "Note", "Article", "Question", "Object", "Person", "Link", "Hashtag",
    "MonetaryAmount", "Tombstone", "http://schema.org#MonetaryAmount", "as:Note",
]  # fmt: skip
_CONTEXTS = st.sampled_from(
    [
        AS2,
        [AS2, {"communs": "https://w3id.org/communs/ns#", "schema": "http://schema.org#"}],
        [AS2, {"goal": "http://example.org/other#goal"}],
        [AS2, "https://unbundled.example/context.jsonld"],
        {"@vocab": "https://w3id.org/communs/ns#"},
        [AS2, {"@language": "fr"}],
        "not a context",
        {"@context": {"@context": {}}},
    ]
)


def _activities(iris: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False)
        | st.text(max_size=12)
        | st.sampled_from(iris + _TYPES + ["x" * 3000, "1" * 600, "#<script>", "2027-13-45"])
    )
    values = st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5)
        ),
        max_leaves=12,
    )
    money = st.fixed_dictionaries(
        {"value": st.sampled_from(["10.00", "0", "1" * 600, "-1"]) | values},
        optional={"type": st.just("MonetaryAmount"), "currency": st.just("EUR") | values},
    )
    optional = {
        key: values
        for key in ("id", "attributedTo", "inReplyTo", "fundingCall", "tag", "status", "name",
                    "content", "endTime", "published", "updated", "publicKey",
                    "preferredUsername", "inbox", "sector", "raisedBySector", "license")
    }  # fmt: skip
    optional |= {
        "id": st.sampled_from(iris) | values,
        "attributedTo": st.just(BOB) | values,
        "inReplyTo": st.sampled_from(iris) | values,
        "fundingCall": st.sampled_from(iris) | values,
        "goal": money | values,
        "raised": money | values,
        "amount": money | values,
        "status": st.sampled_from(["open", "active", "funded"]) | values,
        "sector": st.sampled_from(["public", "individual"]) | values,
    }
    objects = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Note", "Object", "Person", "Follow", "Offer"])
            | st.lists(st.sampled_from(_TYPES), max_size=3)
            | values,
            "objectType": st.sampled_from(
                ["Project", "FundingCall", "Pledge", "Usage", "ServiceOffer"]
            )
            | values,
        },
        optional=optional,
    )
    return st.fixed_dictionaries(
        {"type": st.sampled_from(_ACTIVITY_TYPES), "actor": st.just(BOB)},
        optional={
            "object": objects | st.sampled_from(iris) | values,
            "target": st.sampled_from(iris) | values,
            "@context": _CONTEXTS,
        },
    )


_numbers = itertools.count()


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_processing__any_accepted_activity_ends_processed_or_ignored(
    app: FastAPI, client: httpx.AsyncClient, data: st.DataObject
) -> None:
    # Given an instance with a call and a project of coop's, and bob known
    state = app.state.communs
    async with state.db.session() as session:
        known = await session.scalar(select(Activity.id).where(Activity.actor_uri == BOB))
    if known is None:
        await deliver_and_process(app, client, activity("Follow", number=10**6))
        call = await open_call(app, client)
        for funder in ("La Région", "La Ville"):  # pledges with no Offer behind them
            recorded = await client.post(
                f"/api/v1/funding-calls/{call['id']}/pledges",
                json={
                    "amount": {"amount": "10.00", "currency": "EUR"},
                    "sector": "public",
                    "funder_name": funder,
                },
                headers=await coop_auth(app),
            )
            assert recorded.status_code == 201, recorded.text
    async with state.db.session() as session:
        call_uri = await session.scalar(select(FundingCall.uri))
    iris = [COOP, BOB, f"{REMOTE}/x", f"{REMOTE}/pledges/1", str(call_uri), f"{call_uri}/x"]

    # When any activity is accepted and processed
    document = data.draw(_activities(iris))
    document["id"] = f"{REMOTE}/fuzz/{next(_numbers)}"
    await state.federation.store.record_incoming(
        uri=document["id"],
        type=str(document["type"]),
        actor_uri=BOB,
        object_uri=None,
        body=json.dumps(document).encode(),
    )
    await InboxWorker(state.db, state.urls, on_published=lambda: None).run_once()

    # Then it ended processed or ignored (with its reason), at the first attempt
    row = await row_of(app, document["id"])
    assert row.attempts == 1 and row.state in (ActivityState.processed, ActivityState.ignored), (
        row.state,
        row.error,
    )
    assert row.state == ActivityState.processed or row.error
