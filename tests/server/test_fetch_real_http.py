"""Fetching over real sockets: compressed bodies are inflated within the 1 MiB limit."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import FetchTooLargeError
from federation.fetch import Fetcher
from federation.httpsig import SigningKey
from server.publishing.client import make_client, make_transport
from tests.realservers import bound_socket, run_asgi

KEY = SigningKey(
    key_id="http://127.0.0.1/actor#main-key",
    private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
)


def gzip_server(body: bytes) -> Any:
    """An ASGI app answering every GET with ``body``, gzip-compressed."""
    compressed = gzip.compress(body)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [
            (b"content-type", b"application/activity+json"),
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(compressed)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": compressed})

    return app


async def fetch(body: bytes) -> dict[str, Any]:
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/objects/1"
    async with run_asgi(gzip_server(body), sock):
        client = make_client(make_transport(allow_private_networks=True))
        async with client:
            return await Fetcher(client, signing_key=KEY).fetch_unknown_id(url)


async def test_fetch__gzip_body_is_inflated() -> None:
    document = await fetch(json.dumps({"id": "x", "type": "Note"}).encode())
    assert document["type"] == "Note"


async def test_fetch__gzip_bomb_refused_without_inflating_it() -> None:
    # Given 200 MB of zeros that travel as ≈ 200 kB of gzip
    bomb = b"{" + b" " * (200 * 1024 * 1024) + b"}"

    # When it is fetched
    tracemalloc.start()
    with pytest.raises(FetchTooLargeError):
        await fetch(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Then reading stopped at the limit instead of inflating it all
    assert peak < 20 * 1024 * 1024
