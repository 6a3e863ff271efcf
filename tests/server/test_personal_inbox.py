"""Personal inboxes (``/actors/{username}/inbox``) across processes: each process remembers the
local actors it has seen, and the batch that stores an activity checks that its actor still
exists, so an actor created or deleted by another process is seen at once.

"Another process" is a second app on the same database, with its own memory, as a second
``communs serve`` worker would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.domain.actors import delete_local_actor, get_local_actor
from server.errors import Gone
from server.inbox.ingest import GroupCommitter
from server.main import create_app
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import Activity
from tests.conftest import TEST_BASE_URL, create_actor
from tests.fakeremote import (  # noqa: F401  (fixtures)
    REMOTE,
    RemoteServer,
    activity,
    app,
    client,
    encode,
    remote,
    signed_headers,
)


@pytest.fixture
async def other_process(settings: Settings, remote: RemoteServer) -> AsyncIterator[FastAPI]:
    """A second app on the same database: what another server process would see and do."""
    application = create_app(settings, transport=httpx.MockTransport(remote.handle))
    async with application.router.lifespan_context(application):
        yield application


async def post_to(client: httpx.AsyncClient, username: str, number: int) -> httpx.Response:
    """POST a signed Follow from bob to ``username``'s inbox."""
    path = f"/actors/{username}/inbox"
    body = encode(activity(number=number, object=f"{TEST_BASE_URL}/actors/{username}"))
    return await client.post(path, content=body, headers=signed_headers(body, path=path))


async def stored_count(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.direction == "in")
        )
    return int(count or 0)


async def test_personal_inbox__actor_deleted_by_another_process_is_refused_at_once(
    app: FastAPI, client: httpx.AsyncClient, other_process: FastAPI
) -> None:
    # Given coop's inbox has taken an activity in this process (so coop is remembered here)
    assert (await post_to(client, "coop", 1)).status_code == 202

    # When another process deletes coop
    state = other_process.state.communs
    async with state.db.session() as session:
        await delete_local_actor(session, state.urls, await get_local_actor(session, "coop"))

    # Then this process refuses the next activity with 410, and stores nothing more
    response = await post_to(client, "coop", 2)
    assert response.status_code == 410, response.text
    assert response.json() == {"detail": "the actor 'coop' was deleted"}
    assert await stored_count(app) == 1

    # And it answers 410 from then on without checking a signature
    unsigned = await client.post("/actors/coop/inbox", content=encode(activity(number=3)))
    assert unsigned.status_code == 410


async def test_personal_inbox__actor_created_by_another_process_is_found_at_once(
    app: FastAPI, client: httpx.AsyncClient, other_process: FastAPI, remote: RemoteServer
) -> None:
    # Given this process answered 404 for dora, without fetching any key
    assert (await post_to(client, "dora", 1)).status_code == 404
    assert remote.requests == []

    # When another process creates dora
    await create_actor(other_process, "dora")

    # Then this process takes dora's next activity at once
    assert (await post_to(client, "dora", 2)).status_code == 202
    assert await stored_count(app) == 1


async def test_personal_inbox__the_instance_actor_has_none(client: httpx.AsyncClient) -> None:
    response = await post_to(client, "communs.test", 1)
    assert response.status_code == 404


async def test_group_commit__a_deleted_owner_refuses_its_rows_alone(
    app: FastAPI, database_url: str
) -> None:
    # Given two local actors, one of them deleted
    await create_actor(app, "alice")
    state = app.state.communs
    async with state.db.session() as session:
        await delete_local_actor(session, state.urls, await get_local_actor(session, "coop"))
    db = Database(database_url)
    committer = GroupCommitter(db)

    def record(number: int, owner: str | None) -> asyncio.Future[bool]:
        return asyncio.ensure_future(
            committer.record(
                uri=f"{REMOTE}/activities/{number}",
                type="Create",
                actor_uri=f"{REMOTE}/users/bob",
                object_uri=None,
                body=b"{}",
                owner=owner,
            )
        )

    # When one batch carries activity 1 to coop then to alice, activity 2 to coop then to the
    # shared inbox, and activity 3 to coop alone
    results = await asyncio.gather(
        record(1, "coop"),
        record(1, "alice"),
        record(2, "coop"),
        record(2, None),
        record(3, "coop"),
        return_exceptions=True,
    )
    await committer.close()

    # Then coop's requests are refused as gone, and the others store 1 and 2, each once
    assert [isinstance(r, Gone) for r in results] == [True, False, True, False, True]
    assert [results[1], results[3]] == [True, True]
    async with db.session() as session:
        uris = (await session.execute(select(Activity.uri).where(Activity.direction == "in"))).all()
    await db.dispose()
    assert sorted(uri for (uri,) in uris) == [f"{REMOTE}/activities/1", f"{REMOTE}/activities/2"]
