"""Limits before work, over real sockets (issue 18): slow clients are cut within the
documented time, connections are capped, a token is checked before a body is read, and no
body over 1 MiB is read.

Before, a connection sending nothing, a partial header or a trickled body stayed open for good,
and unauthenticated 50 MiB POSTs to the API were read whole before their 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.realservers import Instance, serve

pytestmark = pytest.mark.slow

#: Seconds given in the tests to read headers, then a body; and what closing may take beyond.
TIMEOUT = 1.0
SLACK = 1.5


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@contextlib.asynccontextmanager
async def connections(instance: Instance, count: int) -> AsyncIterator[list[Connection]]:
    """Open ``count`` raw connections to ``instance``; close what is left of them at the end
    (a server still reading a request would wait for it before stopping)."""
    host, port = instance.domain.split(":")
    opened = [await asyncio.open_connection(host, int(port)) for _ in range(count)]
    try:
        yield opened
    finally:
        for _, writer in opened:
            writer.transport.abort()


async def until_closed(reader: asyncio.StreamReader) -> tuple[bytes, float]:
    """Return what the server sent before closing, and when it closed (seconds from now; an
    infinite time if it did not within ten seconds more than the timeout)."""
    start = time.monotonic()
    received = b""
    try:
        async with asyncio.timeout(TIMEOUT + 10):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return received, float("inf")
    return received, time.monotonic() - start


async def trickle(writer: asyncio.StreamWriter) -> None:
    """Send a body one byte at a time, every 0.2 s, until the server closes."""
    try:
        while True:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.2)
    except (ConnectionError, RuntimeError):  # closed by the server
        return


async def test_slow_clients__are_cut_within_the_documented_time(database_url: str) -> None:
    async with (
        serve(
            database_url, header_timeout_seconds=TIMEOUT, body_timeout_seconds=TIMEOUT
        ) as instance,
        connections(instance, 3) as (idle, partial, slow_body),
    ):
        # Given three slow clients: one sends nothing, one half a header, one a trickled body
        partial[1].write(b"GET /healthz HTTP/1.1\r\nHost: ")
        slow_body[1].write(
            b"POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        trickling = asyncio.create_task(trickle(slow_body[1]))

        # When the server has had the time it gives them
        results = await asyncio.gather(*(until_closed(r) for r, _ in (idle, partial, slow_body)))
        trickling.cancel()

        # Then each connection was closed in time; those still in their headers heard 408
        for (received, after), what in zip(results, ("idle", "partial", "body"), strict=True):
            assert after < TIMEOUT + SLACK, (what, after)
            if what != "body":
                assert received.startswith(b"HTTP/1.1 408"), (what, received)

        # And a client in no hurry is served as usual
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{instance.base_url}/healthz")).status_code == 200


async def test_connections__over_the_cap_are_answered_503(database_url: str) -> None:
    async with (
        serve(database_url, max_connections=2, header_timeout_seconds=TIMEOUT) as instance,
        connections(instance, 2) as held,
        httpx.AsyncClient() as http,
    ):
        # Given two connections held open by clients sending nothing
        await asyncio.sleep(0.1)

        # When a third client asks something, it is answered 503 at once
        refused = await http.get(f"{instance.base_url}/healthz")
        assert refused.status_code == 503

        # And once the held connections are cut, it is served again
        await asyncio.gather(*(until_closed(reader) for reader, _ in held))
        assert (await http.get(f"{instance.base_url}/healthz")).status_code == 200


async def test_api__the_token_is_checked_before_the_body_is_read(database_url: str) -> None:
    async with serve(database_url) as instance, connections(instance, 1) as [(reader, writer)]:
        # Given a client that starts streaming a large body to the API, without a token
        writer.write(
            b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b'{"name": "' + b"x" * 1014
        )

        # When it waits for an answer before sending more
        received, after = await until_closed(reader)

    # Then it is refused at once (the rest of the body is never read) and disconnected
    assert received.startswith(b"HTTP/1.1 401"), received
    assert b"bearer token" in received and after < SLACK


async def test_api__a_body_announced_over_one_mib_is_refused_unread(database_url: str) -> None:
    async with serve(database_url) as instance, connections(instance, 1) as [(reader, writer)]:
        writer.write(
            b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer whatever\r\nContent-Length: 52428800\r\n\r\n"
        )
        received, after = await until_closed(reader)
    assert received.startswith(b"HTTP/1.1 413"), received
    assert b"application/json" in received and after < SLACK


async def test_api__a_streamed_body_over_one_mib_is_cut_with_413(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a valid token
    _, token = await create_actor(app, "coop")

    # When a body grows past 1 MiB without announcing its length
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/api/v1/projects",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    # Then it is refused in the JSON shape
    assert response.status_code == 413
    assert response.json() == {"detail": "body larger than 1048576 bytes"}
