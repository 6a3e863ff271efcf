"""The inbox worker applies a claimed batch together, yet each activity alone: one that fails (even
within a group of likes applied set-wise, which is then applied one by one) is
rolled back and kept for a retry, and the others of its batch are applied and marked, on both
databases (one transaction with a savepoint each on PostgreSQL, a transaction each on SQLite).

The failure is the database's own: a trigger, made for the test, refuses one row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from server.inbox.worker import InboxWorker
from server.storage.models import Activity, Interaction
from tests.fakeremote import (  # noqa: F401  (fixtures)
    BOB,
    app,
    client,
    encode,
    remote,
    signed_headers,
)
from tests.server.test_interactions import like, publish_project

REFUSED = f"{BOB}#likes/2"


@pytest.fixture
async def refusing(app: FastAPI) -> AsyncIterator[None]:
    """A trigger refusing the interaction row of the Like ``REFUSED``, dropped afterwards."""
    db = app.state.communs.db
    if db.is_sqlite:  # an error, not a constraint (which reads as a duplicate): an overflow
        create = [
            "CREATE TRIGGER refuse_one BEFORE INSERT ON interaction "
            f"WHEN new.uri = '{REFUSED}' BEGIN SELECT abs(-9223372036854775808); END"
        ]
        drop = ["DROP TRIGGER refuse_one"]
    else:
        create = [
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN IF NEW.uri = '{REFUSED}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_one BEFORE INSERT ON interaction "
            "FOR EACH ROW EXECUTE FUNCTION refuse_one()",
        ]
        drop = ["DROP TRIGGER refuse_one ON interaction", "DROP FUNCTION refuse_one()"]
    async with db.engine.begin() as connection:
        for statement in create:
            await connection.execute(text(statement))
    yield
    async with db.engine.begin() as connection:
        for statement in drop:
            await connection.execute(text(statement))


async def test_inbox_worker__a_failing_activity_is_kept_and_the_others_applied(
    app: FastAPI, client: httpx.AsyncClient, refusing: None
) -> None:
    # Given three Likes of coop's project received, the second refused by the database
    uri = await publish_project(app, client)
    for number in (1, 2, 3):
        body = encode(like(number, uri))
        response = await client.post(
            "/inbox", content=body, headers=signed_headers(body, path="/inbox")
        )
        assert response.status_code == 202, response.text

    # When the worker takes them in one batch
    state = app.state.communs
    worker = InboxWorker(state.db, state.urls, on_published=state.federation.wake_delivery)
    assert await worker.run_once() == 3

    # Then the first and third are applied and marked processed
    async with state.db.session() as session:
        stored = set((await session.execute(select(Interaction.uri))).scalars())
        rows = {
            row.uri: row
            for row in (
                await session.execute(select(Activity).where(Activity.direction == "in"))
            ).scalars()
        }
    assert stored == {f"{BOB}#likes/1", f"{BOB}#likes/3"}
    assert {u: r.state for u, r in rows.items() if u != REFUSED} == {
        f"{BOB}#likes/1": "processed",
        f"{BOB}#likes/3": "processed",
    }

    # And the second waits for a retry, with its error, nothing of it kept
    refused = rows[REFUSED]
    assert refused.state == "received" and refused.attempts == 1
    assert refused.error and ("refused" in refused.error or "overflow" in refused.error)
    assert refused.locked_until is None and refused.next_attempt_at is not None
    assert refused.next_attempt_at > state.clock.now()
