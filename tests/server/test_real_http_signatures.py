"""Two real instances on 127.0.0.1 follow each other over real HTTP, workers and all.

bob on B follows alice on A: B resolves alice by WebFinger, delivers a signed Follow; A fetches
bob's key from B, verifies, stores, and its worker answers a signed Accept, which B verifies in
turn. Then bob unfollows, and A's worker applies the Undo. Host headers, content lengths, the
aiohttp transport and timing only show over real sockets (DESIGN.md §11).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from server.main import create_app
from server.settings import Settings
from tests.conftest import create_actor, create_scratch_database

pytestmark = pytest.mark.slow

AS2_ACCEPT = {"Accept": "application/activity+json"}
DEADLINE = 10.0


@dataclass
class Instance:
    """One running server."""

    app: FastAPI
    base_url: str

    @property
    def domain(self) -> str:
        return self.base_url.removeprefix("http://")


@pytest.fixture
def second_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another scratch database on the same backend as ``database_url``."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, drop = create_scratch_database(backend, tmp_path)
    yield url
    drop()


@contextlib.asynccontextmanager
async def serve(database_url: str) -> AsyncIterator[Instance]:
    """Run an instance with its workers on a free port of 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        base_url=base_url,
        database_url=database_url,
        run_workers=True,
        allow_private_networks=True,
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(DEADLINE):
            while not server.started:
                assert not task.done(), "the server stopped during start-up"
                await asyncio.sleep(0.01)
        yield Instance(app=app, base_url=base_url)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def eventually(check: Callable[[], Awaitable[Any]], *, what: str) -> Any:
    """Return the first truthy result of ``check``, polled for at most ``DEADLINE`` seconds."""
    deadline = time.monotonic() + DEADLINE
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; last result {result!r}")
        await asyncio.sleep(0.1)


async def followers_of(http: httpx.AsyncClient, actor_uri: str) -> tuple[int, list[str]]:
    """Return the totalItems of an actor's followers collection and its first page's items."""
    collection = (await http.get(f"{actor_uri}/followers", headers=AS2_ACCEPT)).json()
    first = collection["first"]
    page = (await http.get(first, headers=AS2_ACCEPT)).json() if isinstance(first, str) else first
    return collection["totalItems"], page.get("orderedItems", [])


async def test_follow__accepted_and_undone_between_real_servers(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given alice on A and bob on B
        await create_actor(a.app, "alice")
        _, bob_token = await create_actor(b.app, "bob")
        alice_uri, bob_uri = f"{a.base_url}/actors/alice", f"{b.base_url}/actors/bob"
        auth = {"Authorization": f"Bearer {bob_token}"}

        # When bob follows alice through B's API
        response = await http.post(
            f"{b.base_url}/api/v1/follows", json={"target": f"alice@{a.domain}"}, headers=auth
        )

        # Then the follow is pending, until A's signed Accept reaches B
        assert response.status_code == 202, response.text
        follow = response.json()
        assert follow["state"] == "pending" and follow["actor"] == alice_uri

        async def follow_state() -> str | None:
            listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=auth)).json()
            states = [f["state"] for f in listed if f["id"] == follow["id"]]
            return states[0] if states == ["accepted"] else None

        await eventually(follow_state, what="B to record A's Accept")

        # And A lists bob among alice's followers
        assert await followers_of(http, alice_uri) == (1, [bob_uri])

        # When bob unfollows
        response = await http.delete(f"{b.base_url}/api/v1/follows/{follow['id']}", headers=auth)
        assert response.status_code == 204

        # Then A's worker applies the signed Undo
        async def no_followers() -> bool:
            total, items = await followers_of(http, alice_uri)
            return total == 0 and items == []

        await eventually(no_followers, what="A to apply bob's Undo")
        listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=auth)).json()
        assert listed == []
