"""Deliveries POST on the transport's aiohttp session itself, behind the same guard (real sockets).

The production transport (``make_transport``) hands deliveries its aiohttp session: error pages
are still read bounded and decoded, ``Retry-After`` still counts, and the SSRF guard still
refuses private addresses, before connecting and at the connector's own resolution.
"""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from httpx_aiohttp import AiohttpTransport

from federation.delivery import DeliveryOutcome, SchemeMemory, deliver
from federation.guard import GuardedResolver, GuardedTransport
from federation.httpsig import SigningKey
from federation.keys import generate_rsa_pem_pair, load_private_key
from server.publishing.client import make_transport
from tests.realservers import bound_socket, recording_inbox, run_asgi
from tests.server.test_dns_rebinding import Rebound, first_answer

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KEY = SigningKey(
    "https://communs.test/actors/coop#main-key", load_private_key(generate_rsa_pem_pair()[0])
)


async def _deliver(transport: Any, url: str) -> DeliveryOutcome:
    return await deliver(
        transport,
        inbox_uri=url,
        body=b'{"type": "Create"}',
        key=KEY,
        schemes=SchemeMemory(),
        now=NOW,
        user_agent="Communs/test",
    )


async def overloaded(scope: Any, receive: Any, send: Any) -> None:
    """Answer 503 with a gzip error page and Retry-After, as a proxy in front of Mastodon does."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    page = gzip.compress(b"upstream down " + b"x" * 10_000_000)
    headers = [(b"content-encoding", b"gzip"), (b"retry-after", b"120")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": page})


async def test_deliver__on_the_session__error_page_read_bounded_and_retry_after_kept() -> None:
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/inbox"
    transport = make_transport(allow_private_networks=True)
    assert isinstance(transport, GuardedTransport) and transport.session() is not None
    async with run_asgi(overloaded, sock):
        outcome = await _deliver(transport, url)
    await transport.aclose()

    assert outcome.verdict == "retry" and outcome.status == 503
    assert outcome.error.startswith("upstream down xxx") and len(outcome.error) == 500
    assert outcome.retry_after == NOW + timedelta(seconds=120)


async def test_deliver__on_the_session__private_address_refused_before_connecting() -> None:
    transport = make_transport(allow_private_networks=False)
    async with recording_inbox() as (inbox, base_url):
        outcome = await _deliver(transport, f"{base_url}/inbox")
    await transport.aclose()

    assert outcome.verdict == "failed" and outcome.error.startswith("refused")
    assert inbox.received["/inbox"] == 0


async def test_deliver__on_the_session__rebinding_refused_by_the_connector_as_unsafe() -> None:
    # Given a name that the guard's check sees public and the connector sees as loopback
    inner = AiohttpTransport(
        client=aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=GuardedResolver(Rebound()))
        )
    )
    assert isinstance(inner.client, aiohttp.ClientSession)
    session = inner.client
    transport = GuardedTransport(inner, resolver=first_answer, session=lambda: session)
    async with recording_inbox() as (inbox, base_url):
        port = base_url.rsplit(":", 1)[1]
        # When a delivery goes there
        outcome = await _deliver(transport, f"http://rebinding.example:{port}/inbox")
    await transport.aclose()

    # Then it is refused for good (not retried as a network failure), and nothing got through
    assert outcome.verdict == "failed" and "127.0.0.1" in outcome.error
    assert inbox.received["/inbox"] == 0


async def test_deliver__on_the_session__the_path_sent_is_the_path_signed() -> None:
    # Given an inbox whose IRI carries escapes that a URL library would normalise
    seen: list[tuple[bytes, str]] = []

    async def inbox(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        signature = dict(scope["headers"]).get(b"signature", b"").decode()
        seen.append((scope["raw_path"] + b"?" + scope["query_string"], signature))
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/users/%7Ecoop/inbox?a=%2F"
    transport = make_transport(allow_private_networks=True)
    async with run_asgi(inbox, sock):
        outcome = await _deliver(transport, url)
    await transport.aclose()

    # Then the request line holds it unchanged: the receiver rebuilds the signed string from it
    assert outcome.verdict == "delivered"
    assert seen[0][0] == b"/users/%7Ecoop/inbox?a=%2F"
    assert 'headers="(request-target) host date digest content-type"' in seen[0][1]


def chatty(clients: set[Any], body: bytes) -> Any:
    """An inbox answering 200 with ``body`` (as some servers do), noting each client address."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        clients.add(tuple(scope["client"]))
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("answer", "connections"),
    [(b'{"status": "ok"}', 1), (b"x" * 200_000, 3)],
    ids=["short answer: one connection", "long answer: left unread, a connection each"],
)
async def test_deliver__on_the_session__delivered_answer_read_so_the_connection_is_reused(
    answer: bytes, connections: int
) -> None:
    clients: set[Any] = set()
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/inbox"
    transport = make_transport(allow_private_networks=True)
    async with run_asgi(chatty(clients, answer), sock):
        outcomes = [await _deliver(transport, url) for _ in range(3)]
    await transport.aclose()

    assert [o.verdict for o in outcomes] == ["delivered"] * 3
    assert len(clients) == connections


async def cut_short(scope: Any, receive: Any, send: Any) -> None:
    """Answer 202 promising 1 000 bytes, then send 10 and go (uvicorn closes the connection)."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-length", b"1000")]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": b"x" * 10})


async def dribbling(scope: Any, receive: Any, send: Any) -> None:
    """Answer 202, then one byte every 0.5 s for 6 s."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 202, "headers": []})
    for _ in range(12):
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await asyncio.sleep(0.5)
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("app", [cut_short, dribbling], ids=["cut short", "dribbling"])
async def test_deliver__on_the_session__a_bad_body_after_202_still_counts_as_delivered(
    app: Any,
) -> None:
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/inbox"
    transport = make_transport(allow_private_networks=True)
    async with run_asgi(app, sock):
        outcome = await asyncio.wait_for(_deliver(transport, url), 5)  # the drain gives up at 2
    await transport.aclose()

    assert outcome.verdict == "delivered" and outcome.status == 202
