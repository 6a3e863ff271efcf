"""The one outgoing HTTP client of a process, and the signing keys it uses.

httpx 0.28's own pool collapses under concurrency (≈ 240 req/s at 50 in flight,
docs/performance.md), so requests go through the aiohttp-backed transport of ``httpx-aiohttp``,
keeping the httpx API; every request passes the SSRF guard first.
"""

from __future__ import annotations

from functools import partial

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from federation.fetch import TIMEOUT
from federation.guard import GuardedResolver, GuardedTransport
from federation.httpsig import SigningKey
from federation.keys import load_private_key
from server import __version__
from server.storage.models import Actor

__all__ = ["USER_AGENT", "make_client", "make_transport", "signing_key_of"]

USER_AGENT = f"Communs/{__version__} (+https://w3id.org/communs)"


def make_transport(
    *, allow_private_networks: bool, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncBaseTransport:
    """Return the process's transport: one keep-alive pool, the SSRF guard on every request.

    Unless private networks are allowed, the aiohttp connector resolves through the guard as
    well, so what it connects to is what was checked (no DNS-rebinding window). Deliveries
    POST on the same aiohttp session directly (``GuardedTransport.session``).
    """
    if transport is not None:
        return GuardedTransport(transport, allow_private_networks=allow_private_networks)
    inner = AiohttpTransport(client=None if allow_private_networks else _guarded_session)
    return GuardedTransport(
        inner, allow_private_networks=allow_private_networks, session=partial(_session_of, inner)
    )


def _session_of(transport: AiohttpTransport) -> aiohttp.ClientSession:
    """Return the transport's aiohttp session, made on first use as the transport does it."""
    if not isinstance(transport.client, aiohttp.ClientSession):
        transport.client = transport.get_client()
    return transport.client


def _guarded_session() -> aiohttp.ClientSession:
    """Return the aiohttp session of the transport (made inside the running event loop)."""
    connector = aiohttp.TCPConnector(
        limit=100,
        keepalive_timeout=5.0,
        ssl=httpx.create_ssl_context(),
        resolver=GuardedResolver(aiohttp.ThreadedResolver()),
    )
    return aiohttp.ClientSession(connector=connector)


def make_client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    """Return the client for fetches over ``transport``, with Mastodon's timeouts."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def signing_key_of(actor: Actor) -> SigningKey:
    """Return the (cached) signing key of a local actor."""
    if actor.private_key_pem is None or actor.key_id is None:
        raise ValueError(f"{actor.uri} has no private key")
    return SigningKey(key_id=actor.key_id, private_key=load_private_key(actor.private_key_pem))
