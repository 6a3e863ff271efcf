"""DNS rebinding: a name server that answers the guard's check with a public address and the
connection's own look-up with loopback must not get a request through (real sockets)."""

from __future__ import annotations

import socket

import aiohttp
import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from httpx_aiohttp import AiohttpTransport

from federation.errors import UnsafeURLError
from federation.guard import GuardedResolver, GuardedTransport, RefusedAddressError
from server.publishing.client import _guarded_session
from tests.realservers import recording_inbox


class Rebound(AbstractResolver):
    """The second answer of a rebinding name server: every name is 127.0.0.1."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


async def first_answer(host: str, port: int) -> list[str]:
    """The first answer, the one the transport's check sees: a public address."""
    return ["93.184.216.34"]


def transport(connector_resolver: AbstractResolver) -> httpx.AsyncBaseTransport:
    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=connector_resolver))

    return GuardedTransport(AiohttpTransport(client=session), resolver=first_answer)


async def post(sender: httpx.AsyncBaseTransport, url: str) -> None:
    response = await sender.handle_async_request(httpx.Request("POST", url, content=b"{}"))
    await response.aclose()


async def test_dns_rebinding__the_connector_checks_what_it_dials() -> None:
    async with recording_inbox() as (inbox, base_url):
        url = f"http://rebinding.example:{base_url.rsplit(':', 1)[1]}/inbox"

        # Given the check alone (the connector resolves on its own): the request gets through
        unguarded = transport(Rebound())
        await post(unguarded, url)
        await unguarded.aclose()
        assert inbox.received["/inbox"] == 1

        # When the connector resolves through the guard too
        guarded = transport(GuardedResolver(Rebound()))
        with pytest.raises(UnsafeURLError, match=r"resolves to 127\.0\.0\.1"):
            await post(guarded, url)
        await guarded.aclose()

        # Then nothing more reached loopback
        assert inbox.received["/inbox"] == 1


async def test_guarded_resolver__passes_public_answers() -> None:
    class Public(Rebound):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            return [{**result, "host": "93.184.216.34"} for result in await super().resolve(host)]

    results = await GuardedResolver(Public()).resolve("example.org", 443)
    assert [result["host"] for result in results] == ["93.184.216.34"]


async def test_guarded_session__refuses_a_name_resolving_to_loopback() -> None:
    async with recording_inbox() as (inbox, base_url):
        url = f"http://localhost:{base_url.rsplit(':', 1)[1]}/inbox"
        # Given the production session, used without the transport's check in front of it
        session = _guarded_session()
        try:
            # When it dials a name that resolves to loopback
            with pytest.raises(aiohttp.ClientConnectorError) as raised:
                await session.post(url, data=b"{}")
        finally:
            await session.close()

        # Then its own resolver refused the address, and nothing reached the inbox
        assert isinstance(raised.value.__cause__, RefusedAddressError)
        assert not inbox.received
