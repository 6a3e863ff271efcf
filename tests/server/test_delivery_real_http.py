"""Deliveries over real HTTP to a scripted inbox server on 127.0.0.1 that fails at first.

500, a read timeout, 429 with Retry-After and a refused connection are retried until
delivered; 404 and 410 fail at once. An injected clock moves time, so nothing sleeps for
backoff; the worker's real HTTP client (aiohttp transport behind the SSRF guard) is used.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from schemas.states import DeliveryState
from server.clock import FrozenClock
from server.publishing.client import make_transport
from server.publishing.worker import DeliveryWorker
from tests.conftest import create_actor
from tests.realservers import bound_socket, run_asgi
from tests.server.test_delivery import add_remote_followers, deliveries, publish_note

pytestmark = pytest.mark.slow


class ScriptedInbox:
    """Answers each path from its script (status, headers, delay), then 202; counts POSTs."""

    def __init__(self, scripts: dict[str, list[tuple[int, dict[str, str], float]]]) -> None:
        self.scripts = scripts
        self.received: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        path = scope["path"]
        self.received[path] += 1
        script = self.scripts.get(path, [])
        status, headers, delay = script.pop(0) if script else (202, {}, 0.0)
        if delay:
            await asyncio.sleep(delay)
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b""})


async def test_delivery__retries_over_real_http_until_delivered(app: FastAPI) -> None:
    # Given inboxes on a real server that fail in each retryable way first, and a closed port
    scripts = {
        "/e500": [(500, {}, 0.0), (503, {}, 0.0)],
        "/slow": [(202, {}, 2.0)],
        "/busy": [(429, {"Retry-After": "600"}, 0.0)],
        "/gone": [(410, {}, 0.0)],
        "/missing": [(404, {}, 0.0)],
        "/ok": [],
    }
    inbox = ScriptedInbox({k: list(v) for k, v in scripts.items()})
    closed = bound_socket()  # bound, never listening: connections are refused
    refused = f"http://127.0.0.1:{closed.getsockname()[1]}/refused"
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app, actor, [(f"{base}{path}", None) for path in scripts] + [(refused, None)]
    )
    await publish_note(app, actor)

    async with run_asgi(inbox, sock):
        client = make_transport(allow_private_networks=True)
        clock = FrozenClock()
        worker = DeliveryWorker(
            app.state.communs.db, client, clock=clock, timeouts=httpx.Timeout(1.0, connect=1.0)
        )
        # When the worker runs, time passes, and it runs again
        for round_ in range(4):
            await worker.run_once()
            clock.advance(timedelta(hours=1))
            if round_ == 1:
                closed.listen()  # the refusing host comes back
                refused_server = asyncio.create_task(_accept_once(closed))
        await client.aclose()
    refused_server.cancel()
    closed.close()

    # Then every retryable delivery ended delivered, 404 and 410 failed after one try
    rows = await deliveries(app)
    states = {uri.rsplit("/", 1)[-1]: (row.state, row.attempts) for uri, row in rows.items()}
    assert states["e500"] == (DeliveryState.delivered, 3)
    assert states["slow"] == (DeliveryState.delivered, 2)
    assert states["busy"] == (DeliveryState.delivered, 2)
    assert states["ok"] == (DeliveryState.delivered, 1)
    assert states["gone"] == (DeliveryState.failed, 1) and states["missing"] == (
        DeliveryState.failed,
        1,
    )
    assert states["refused"][0] == DeliveryState.delivered and states["refused"][1] >= 2
    assert inbox.received["/gone"] == 1 and inbox.received["/missing"] == 1


async def _accept_once(sock: Any) -> None:
    """Answer 202 on a plain socket that starts listening late."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)
    while True:
        conn, _ = await loop.sock_accept(sock)
        await loop.sock_recv(conn, 65536)
        await loop.sock_sendall(
            conn, b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        conn.close()
