"""The inbox worker applies likes, boosts, replies and their undoing set-wise, and a batch ends
exactly as applying its activities one by one in arrival order does: same interactions, same
follows, same outcome and reason for each activity (a property over generated batches), on
both databases."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select
from sqlmodel import col

from schemas.states import ActivityState
from server.inbox.processing import process_activity
from server.inbox.together import Claimed, plan
from server.inbox.worker import InboxWorker
from server.storage.models import Activity, Follow, Interaction
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    COOP,
    REMOTE,
    activity,
    app,
    client,
    deliver_and_process,
    remote,
)
from tests.server.test_interactions import boost, like, publish_project, reply

EVE = f"{REMOTE}/users/eve"
_batches = itertools.count()


async def _record(app: FastAPI, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store ``documents`` as accepted incoming activities, a millisecond apart (the ids
    that order them are random within one); return them in the worker's order."""
    store = app.state.communs.federation.store
    for document in documents:
        await asyncio.sleep(0.002)
        await store.record_incoming(
            uri=document["id"],
            type=str(document["type"]),
            actor_uri=BOB,
            object_uri=None,
            body=json.dumps(document).encode(),
        )
    async with app.state.communs.db.session() as session:
        uris = (await session.execute(select(Activity.uri).order_by(Activity.id))).scalars()
        order = {uri: index for index, uri in enumerate(uris)}
    return sorted(documents, key=lambda document: order[document["id"]])


async def _end_state(app: FastAPI) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Return the interactions and follows, as rows without their dates."""
    async with app.state.communs.db.session() as session:
        interactions = {
            (row.uri, row.kind, row.actor_uri, row.object_uri, row.content_html)
            for row in (await session.execute(select(Interaction))).scalars()
        }
        follows = {
            (row.uri, row.follower_id, row.followed_id, row.state)
            for row in (await session.execute(select(Follow))).scalars()
        }
    return interactions, follows


async def _outcomes(app: FastAPI, uris: list[str]) -> dict[str, tuple[str, str | None]]:
    async with app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Activity.uri, Activity.state, Activity.error).where(col(Activity.uri).in_(uris))
        )
        return {uri: (state, error) for uri, state, error in rows.all()}


async def _forget(app: FastAPI) -> None:
    """Remove every interaction and follow, as before the batch."""
    async with app.state.communs.db.session() as session:
        await session.execute(delete(Interaction))
        await session.execute(delete(Follow))
        await session.commit()


async def _one_by_one(app: FastAPI, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply each document alone, in order, as the worker did before groups; return the
    outcome (state, reason) of each."""
    state = app.state.communs
    outcomes = {}
    for document in documents:
        async with state.db.session() as session:
            done = await process_activity(session, state.urls, document, today=state.clock.today())
            await session.commit()
        kind = ActivityState.ignored if done.ignored else ActivityState.processed
        outcomes[document["id"]] = (kind, done.reason)
    return outcomes


def _batch(project: str, number: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Batches of likes, boosts, replies (some twice, some to other objects), their Undos
    (by id or embedded, by their author or another), Follows, their Undos and Deletes."""
    targets = st.sampled_from([project, f"{REMOTE}/notes/1", f"{project}/nothing"])
    small = st.integers(min_value=0, max_value=3)
    prefix = f"{number}-"

    def liked(n: int, target: str) -> dict[str, Any]:
        return like(0, target) | {"id": f"{BOB}#likes/{prefix}{n}"}

    def boosted(n: int, target: str) -> dict[str, Any]:
        return boost(0, target) | {"id": f"{BOB}/statuses/{prefix}{n}/activity"}

    def replied(n: int, copy: int, target: str) -> dict[str, Any]:
        document = reply(0, [f"{REMOTE}/notes/2", target], f"<p>{n}</p>")  # type: ignore[arg-type]
        document["object"]["id"] = f"{BOB}/statuses/{prefix}r{n}"
        document["id"] = f"{BOB}/statuses/{prefix}r{n}/activity/{copy}"
        return document

    def undone(n: int, kind: str, embedded: bool, actor: str, copy: int) -> dict[str, Any]:
        if kind == "like":
            undone_uri, inner = f"{BOB}#likes/{prefix}{n}", liked(n, project)
        else:
            undone_uri, inner = f"{BOB}/statuses/{prefix}{n}/activity", boosted(n, project)
        inner.pop("@context")
        return {
            "id": f"{actor}#undo/{prefix}{kind}{n}/{copy}/{embedded}",
            "type": "Undo",
            "actor": actor,
            "object": inner if embedded else undone_uri,
        }

    def followed(n: int) -> dict[str, Any]:
        return activity("Follow", number=n) | {"id": f"{REMOTE}/follows/{prefix}{n}"}

    def unfollowed(n: int, copy: int) -> dict[str, Any]:
        return activity("Undo", number=0, object=f"{REMOTE}/follows/{prefix}{n}") | {
            "id": f"{REMOTE}/unfollows/{prefix}{n}/{copy}"
        }

    def deleted(n: int, copy: int) -> dict[str, Any]:
        return activity("Delete", number=0, object=f"{BOB}/statuses/{prefix}r{n}") | {
            "id": f"{REMOTE}/deletes/{prefix}{n}/{copy}"
        }

    copies = st.integers(min_value=0, max_value=1)
    one = st.one_of(
        st.builds(liked, small, targets),
        st.builds(boosted, small, targets),
        st.builds(replied, small, copies, targets),
        st.builds(
            undone,
            small,
            st.sampled_from(["like", "boost"]),
            st.booleans(),
            st.sampled_from([BOB, EVE]),
            copies,
        ),
        st.builds(followed, small),
        st.builds(unfollowed, small, copies),
        st.builds(deleted, small, copies),
    )
    return st.lists(one, min_size=1, max_size=14).map(
        lambda documents: list({d["id"]: d for d in documents}.values())  # ids are unique
    )


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_inbox_groups__a_batch_ends_as_one_by_one_application(
    app: FastAPI, client: httpx.AsyncClient, data: st.DataObject
) -> None:
    # Given bob known and a project of coop's
    state = app.state.communs
    async with state.db.session() as session:
        known = await session.scalar(select(Activity.id).where(Activity.actor_uri == BOB))
    if known is None:
        await deliver_and_process(app, client, activity("Follow", number=10**6))
        await publish_project(app, client)
    async with state.db.session() as session:
        project = str(
            await session.scalar(
                select(Activity.object_uri).where(
                    Activity.type == "Create", Activity.direction == "out"
                )
            )
        )
    await _forget(app)

    # When a batch is received and the worker applies it
    documents = data.draw(_batch(project, next(_batches)))
    documents = await _record(app, documents)
    worker = InboxWorker(state.db, state.urls, on_published=lambda: None)
    assert await worker.run_once() == len(documents)
    together = await _end_state(app)
    outcomes = await _outcomes(app, [d["id"] for d in documents])

    # Then it ends as the same activities applied one by one, in order
    await _forget(app)
    expected = await _one_by_one(app, documents)
    assert together == await _end_state(app)
    assert outcomes == expected


async def test_inbox_groups__an_undo_after_its_like_removes_it_and_one_before_finds_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project, an Undo of a Like received before the Like, then another Like and its Undo
    project = await publish_project(app, client)
    early, late = like(1, project), like(2, project)
    undo_early = {"id": f"{BOB}#undo/1", "type": "Undo", "actor": BOB, "object": early["id"]}
    undo_late = {"id": f"{BOB}#undo/2", "type": "Undo", "actor": BOB, "object": late["id"]}
    await _record(app, [undo_early, early, late, undo_late])

    # When the worker applies the batch
    state = app.state.communs
    await InboxWorker(state.db, state.urls, on_published=lambda: None).run_once()

    # Then the first Like stays (its Undo came first) and the second is gone
    interactions, _ = await _end_state(app)
    assert {uri for uri, *_ in interactions} == {early["id"]}
    outcomes = await _outcomes(app, [undo_early["id"], undo_late["id"]])
    assert outcomes[undo_early["id"]][0] == ActivityState.ignored
    assert outcomes[undo_late["id"]] == (ActivityState.processed, None)


async def test_inbox_groups__a_reply_received_twice_is_stored_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given the same reply in two Creates of one batch
    project = await publish_project(app, client)
    first = reply(1, project, "<p>Bravo</p>")
    second = reply(1, project, "<p>Bravo</p>") | {"id": f"{first['id']}/again"}
    await _record(app, [first, second])

    # When the worker applies the batch
    state = app.state.communs
    await InboxWorker(state.db, state.urls, on_published=lambda: None).run_once()

    # Then the reply is stored once: the first applied, the second ignored as a duplicate
    interactions, _ = await _end_state(app)
    assert [(uri, kind) for uri, kind, *_ in interactions] == [(first["object"]["id"], "reply")]
    outcomes = await _outcomes(app, [first["id"], second["id"]])
    assert outcomes[first["id"]] == (ActivityState.processed, None)
    assert outcomes[second["id"]][0] == ActivityState.ignored


async def test_inbox_groups__a_batch_of_likes_costs_a_constant_number_of_statements(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given 2 and then 40 Likes and boosts of a project received
    project = await publish_project(app, client)
    state = app.state.communs
    counts = []
    for size in (2, 40):
        start = len(counts) * 100
        await _record(
            app,
            [like(start + n, project) if n % 2 else boost(start + n, project) for n in range(size)],
        )
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        # When the worker applies them
        event.listen(state.db.engine.sync_engine, "before_cursor_execute", count)
        try:
            assert await InboxWorker(state.db, state.urls, on_published=lambda: None).run_once()
        finally:
            event.remove(state.db.engine.sync_engine, "before_cursor_execute", count)
        counts.append(statements)

    # Then 40 cost as many statements as 2
    assert counts[0] == counts[1], counts


def test_inbox_groups__plan_keeps_undos_apart_from_what_they_follow() -> None:
    # Given a Like, a Follow, an Undo of the Like and a Delete
    def claimed(number: int, document: dict[str, Any]) -> Claimed:
        return Claimed(str(number), json.dumps(document).encode(), 0)

    liked = like(1, f"{COOP}/projects/1")
    rows = [
        claimed(1, liked),
        claimed(2, activity("Follow", number=2)),
        claimed(3, {"id": "u", "type": "Undo", "actor": BOB, "object": liked["id"]}),
        claimed(4, activity("Delete", number=4, object=f"{BOB}/statuses/1")),
    ]

    # When the worker plans the batch
    steps = plan(rows)

    # Then the Follow runs alone before the Like's group, the Undo in a group of its own
    assert [
        s.activity_id if isinstance(s, Claimed) else [m.claimed.activity_id for m in s]
        for s in steps
    ] == ["2", ["1"], ["3"], "4"]
