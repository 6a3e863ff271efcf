"""Faults (issue 18): a dropped PostgreSQL database, a read-only SQLite file, a broken schema.

Before, errors were plain-text ``Internal Server Error``, ``/healthz`` answered 200 while every
route failed, and the delivery worker logged a traceback every 0.25 s (6 000 lines in 10 s).
Now every error is JSON, ``/readyz`` says the database cannot serve, workers back off and say
so once, and the server recovers without a restart once the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from schemas.states import ActivityState
from server.domain.tokens import issue_token
from server.main import create_app
from server.settings import Settings
from server.storage.migrations import upgrade
from server.storage.models import Activity
from server.storage.scratch import run_on_server
from tests.conftest import POSTGRES_URL, TEST_BASE_URL, create_actor, create_scratch_database
from tests.realservers import eventually

#: What the workers may log while the database is away: one line each when the failures
#: start, none per retry.
WORKERS = "communs.workers"
BOB = "https://remote.example/users/bob"


@contextlib.asynccontextmanager
async def running(database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An instance on ``database_url`` with its workers running, and a client."""
    settings = Settings(
        base_url=TEST_BASE_URL,
        database_url=database_url,
        run_workers=True,
        allow_private_networks=True,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
            yield app, client


async def admin_headers(app: FastAPI) -> dict[str, str]:
    async with app.state.communs.db.session() as session:
        token = await issue_token(session, actor_id=None, scopes=["read", "write", "admin"])
    return {"Authorization": f"Bearer {token}"}


async def create_actor_through_the_api(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    response = await client.post(
        "/api/v1/actors", json={"username": "newcomer", "name": "Newcomer"}, headers=auth
    )
    return response.status_code


async def assert_unavailable_in_json(client: httpx.AsyncClient) -> None:
    """Every route answers in the JSON shape; alive, not ready."""
    for response in (
        await client.get("/api/v1/projects"),  # a route
        await client.get("/actors/coop", headers={"Accept": "application/activity+json"}),
        await client.post("/actors/coop/inbox", content=b"{}"),  # the front door
    ):
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"].startswith("the database is unavailable")
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["detail"].startswith("the database is")


async def record_processable(app: FastAPI, number: int) -> str:
    """Store an incoming activity for the inbox worker; return its id."""
    uri = f"https://remote.example/activities/{number}"
    body = b'{"id": "%s", "type": "Move", "actor": "%s"}' % (uri.encode(), BOB.encode())
    await app.state.communs.federation.store.record_incoming(
        uri=uri,
        type="Move",
        actor_uri="https://remote.example/users/bob",
        object_uri=None,
        body=body,
    )
    app.state.communs.federation.wake_inbox()
    return uri


async def processed(app: FastAPI, uri: str) -> bool:
    async with app.state.communs.db.session() as session:
        state = await session.scalar(select(Activity.state).where(Activity.uri == uri))
    return state == ActivityState.ignored


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs COMMUNS_TEST_POSTGRES_URL")
async def test_dropped_postgresql_database__answers_json_backs_off_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, drop = await asyncio.to_thread(create_scratch_database, "postgresql", tmp_path)
    name = make_url(url).database
    try:
        async with running(url) as (app, client):
            assert (await client.get("/readyz")).json() == {"status": "ready"}

            # Given the database is dropped under the running server
            with caplog.at_level(logging.INFO):
                await asyncio.to_thread(drop)
                await asyncio.sleep(0.3)

                # Then every answer is JSON, /healthz alive and /readyz not ready
                await assert_unavailable_in_json(client)

                # And in three seconds the workers said so once each, not once per retry
                await asyncio.sleep(3)
                logged = [r for r in caplog.records if r.name == WORKERS]
                assert 1 <= len(logged) <= 2, [r.getMessage() for r in logged]
                assert all("unavailable" in r.getMessage() for r in logged)

                # When the database is back
                assert POSTGRES_URL is not None
                await run_on_server(POSTGRES_URL, f'CREATE DATABASE "{name}"')
                await asyncio.to_thread(upgrade, url)

                # Then the server serves again, without a restart
                await eventually(
                    lambda: _ready(client), what="/readyz to answer 200 once the database is back"
                )
                assert await create_actor_through_the_api(client, await admin_headers(app)) == 201
                uri = await record_processable(app, 1)
                await eventually(lambda: processed(app, uri), what="the inbox worker to recover")
                assert any("working again" in r.getMessage() for r in caplog.records)
    finally:
        await asyncio.to_thread(drop)


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` read-only for this process for the block (root ignores permissions, so
    root sets the immutable attribute)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a file read-only")
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_read_only_sqlite_file__answers_json_backs_off_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = await asyncio.to_thread(create_scratch_database, "sqlite", tmp_path)
    path = Path(make_url(url).database or "")
    async with running(url) as (app, client):
        auth = await admin_headers(app)
        await create_actor(app, "coop")
        coop = await _coop_auth(app)

        # Given the database file turns read-only, and the server's connection is opened anew
        # (an open SQLite connection goes on writing into its write-ahead log)
        with caplog.at_level(logging.INFO), read_only(path):
            await app.state.communs.db.engine.dispose()

            # Then writes and readiness say the database cannot serve, in JSON
            refused = await client.post("/api/v1/projects", json={"name": "Maps"}, headers=coop)
            assert refused.status_code == 503 and refused.json()["detail"].startswith(
                "the database is unavailable"
            )
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["detail"] == "the database is read-only"

            # And the inbox worker, whose every look writes (its claim), says so once
            await asyncio.sleep(2)
            logged = [r for r in caplog.records if r.name == WORKERS]
            assert 1 <= len(logged) <= 2, [r.getMessage() for r in logged]

        # When the file is writable again, the server writes again without a restart
        await eventually(lambda: _ready(client), what="/readyz to answer 200 once writable")
        assert await create_actor_through_the_api(client, auth) == 201
        uri = await record_processable(app, 2)
        await eventually(lambda: processed(app, uri), what="the inbox worker to recover")


async def _coop_auth(app: FastAPI) -> dict[str, str]:
    async with app.state.communs.db.session() as session:
        coop_id = await session.scalar(text("SELECT id FROM actor WHERE username = 'coop'"))
        token = await issue_token(session, actor_id=coop_id, scopes=["read", "write"])
    return {"Authorization": f"Bearer {token}"}


async def test_unexpected_error__is_answered_in_the_json_shape(
    database_url: str, tmp_path: Path
) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, drop = await asyncio.to_thread(create_scratch_database, backend, tmp_path)
    try:
        async with running(url) as (app, client):
            # Given a schema broken under the server (a table gone)
            async with app.state.communs.db.engine.begin() as connection:
                await connection.execute(text("DROP TABLE object_tag"))

            # When a route needs it
            response = await client.get("/api/v1/projects", params={"tag": "maps"})

            # Then the answer is JSON, never plain text
            assert response.status_code in (500, 503)
            assert response.headers["content-type"] == "application/json"
            assert isinstance(response.json()["detail"], str)
    finally:
        await asyncio.to_thread(drop)
