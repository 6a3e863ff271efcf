"""Real servers on 127.0.0.1 for end-to-end tests: Communs instances and a recording inbox.

Host headers, content lengths, the aiohttp transport and timing only show over real sockets
(docs/architecture.md, "Testing"), so these tests never use in-process transports.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from server.http.connections import server_options
from server.main import create_app
from server.settings import Settings

DEADLINE = 10.0


def bound_socket() -> socket.socket:
    """Return a socket bound to a free port of 127.0.0.1 (no race between choosing and binding)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def run_asgi(app: Any, sock: socket.socket, **options: Any) -> AsyncIterator[None]:
    """Serve an ASGI app with uvicorn on ``sock`` until the block ends (``options``: more
    uvicorn options)."""
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="auto", access_log=False, **options)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(DEADLINE):
            while not server.started:
                assert not task.done(), "the server stopped during start-up"
                await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Instance:
    """One running server."""

    app: FastAPI
    base_url: str

    @property
    def domain(self) -> str:
        return self.base_url.removeprefix("http://")


@contextlib.asynccontextmanager
async def serve(database_url: str, **overrides: Any) -> AsyncIterator[Instance]:
    """Run an instance with its workers on a free port of 127.0.0.1 until the block ends,
    served as ``communs serve`` serves it (its connection limits included)."""
    sock = bound_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        base_url=base_url,
        database_url=database_url,
        run_workers=True,
        allow_private_networks=True,
        **overrides,
    )
    app = create_app(settings)
    async with run_asgi(app, sock, **server_options(settings)):
        yield Instance(app=app, base_url=base_url)


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


@dataclass
class RecordingInbox:
    """An inbox server that answers 202 after ``delay`` seconds and counts POSTs per path."""

    delay: float = 0.0
    received: Counter[str] = field(default_factory=Counter)
    bodies: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.received[scope["path"]] += 1
        self.bodies.append((scope["path"], headers, body))
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@contextlib.asynccontextmanager
async def recording_inbox(delay: float = 0.0) -> AsyncIterator[tuple[RecordingInbox, str]]:
    """Run a recording inbox on 127.0.0.1; yield it and its base URL."""
    inbox = RecordingInbox(delay=delay)
    sock = bound_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with run_asgi(inbox, sock):
        yield inbox, base_url
