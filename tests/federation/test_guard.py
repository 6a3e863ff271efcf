"""GuardedTransport and is_public_address: the network is an httpx.MockTransport, DNS a dict."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from federation.errors import UnsafeURLError
from federation.guard import GuardedTransport, is_public_address

REFUSED = [
    "0.0.0.0",
    "10.1.2.3",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.10",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "233.252.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::127.0.0.1",
    "64:ff9b::808:808",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:db8::1",
    "2002:808:808::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "not-an-address",
    "",
]
PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2a00:1450::1",
    "::ffff:8.8.8.8",
]


class FakeDNS:
    """A resolver answering from a table and counting look-ups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(dns: FakeDNS, **options: Any) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """Return a guarded client over a fake network, and the list of requests that got through."""
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "redirector.example":
            return httpx.Response(302, headers={"Location": "http://intranet.example/admin"})
        return httpx.Response(200, text="ok")

    transport = GuardedTransport(httpx.MockTransport(respond), resolver=dns, **options)
    return httpx.AsyncClient(transport=transport), seen


@pytest.mark.parametrize("address", REFUSED)
def test_is_public_address__refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_is_public_address__public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.asyncio
@pytest.mark.parametrize("address", [a for a in REFUSED if a and a != "not-an-address"])
async def test_guard__refuses_host_resolving_to_non_public_address(address: str) -> None:
    client, seen = make_client(FakeDNS({"evil.example": [address]}))
    async with client:
        with pytest.raises(UnsafeURLError, match=r"evil\.example"):
            await client.get("https://evil.example/users/x")
    assert seen == []


@pytest.mark.asyncio
async def test_guard__refuses_when_any_address_is_private() -> None:
    client, seen = make_client(FakeDNS({"mixed.example": ["8.8.8.8", "2606:4700::1", "10.0.0.1"]}))
    async with client:
        with pytest.raises(UnsafeURLError):
            await client.get("https://mixed.example/")
    assert seen == []


@pytest.mark.asyncio
async def test_guard__allows_public_host() -> None:
    dns = FakeDNS({"mastodon.example": ["93.184.215.14", "2606:4700:4700::1111"]})
    client, seen = make_client(dns)
    async with client:
        response = await client.get("https://mastodon.example/users/alice")
    assert response.status_code == 200
    assert [str(r.url) for r in seen] == ["https://mastodon.example/users/alice"]
    assert dns.lookups == [("mastodon.example", 443)]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/", "http://[::1]/", "http://[::ffff:10.0.0.1]/", "http://10.0.0.1/"],
)
async def test_guard__refuses_ip_literals_without_resolving(url: str) -> None:
    dns = FakeDNS({})
    client, seen = make_client(dns)
    async with client:
        with pytest.raises(UnsafeURLError):
            await client.get(url)
    assert seen == [] and dns.lookups == []


@pytest.mark.asyncio
async def test_guard__allows_public_ip_literal_without_resolving() -> None:
    dns = FakeDNS({})
    client, _ = make_client(dns)
    async with client:
        assert (await client.get("http://8.8.8.8/")).status_code == 200
    assert dns.lookups == []


@pytest.mark.asyncio
async def test_guard__allow_private_networks_lets_loopback_through() -> None:
    dns = FakeDNS({"localhost": ["127.0.0.1", "::1"]})
    client, seen = make_client(dns, allow_private_networks=True)
    async with client:
        assert (await client.get("http://localhost:8000/actor")).status_code == 200
        assert (await client.get("http://127.0.0.1:8001/actor")).status_code == 200
    assert len(seen) == 2
    assert dns.lookups == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url", ["ftp://files.example/x", "file:///etc/passwd", "gopher://g.example/"]
)
async def test_guard__refuses_non_http_schemes(url: str) -> None:
    transport = GuardedTransport(
        httpx.MockTransport(lambda request: httpx.Response(200)),
        resolver=FakeDNS({"files.example": ["8.8.8.8"], "g.example": ["8.8.8.8"]}),
        allow_private_networks=True,
    )
    with pytest.raises(UnsafeURLError):
        await transport.handle_async_request(httpx.Request("GET", url))


@pytest.mark.asyncio
async def test_guard__checks_every_redirect_hop() -> None:
    # Given a public host redirecting to one that resolves to the LAN
    dns = FakeDNS({"redirector.example": ["8.8.8.8"], "intranet.example": ["192.168.0.10"]})
    client, seen = make_client(dns)
    # When the client follows redirects
    async with client:
        with pytest.raises(UnsafeURLError, match=r"intranet\.example"):
            await client.get("https://redirector.example/", follow_redirects=True)
    # Then the first hop went out and the second never did
    assert [r.url.host for r in seen] == ["redirector.example"]


@pytest.mark.asyncio
async def test_guard__checks_delivery_posts() -> None:
    client, seen = make_client(FakeDNS({"inbox.example": ["fd00::5"]}))
    async with client:
        with pytest.raises(UnsafeURLError):
            await client.post("https://inbox.example/inbox", content=b"{}")
    assert seen == []


@pytest.mark.asyncio
async def test_guard__unresolvable_host_is_a_connect_error() -> None:
    client, _ = make_client(FakeDNS({"empty.example": []}))
    async with client:
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve nowhere\.example"):
            await client.get("https://nowhere.example/")
        with pytest.raises(httpx.ConnectError, match="no address"):
            await client.get("https://empty.example/")


@pytest.mark.asyncio
async def test_guard__caches_resolution_until_ttl() -> None:
    # Given a guard with a 60 s cache and a controllable clock
    dns = FakeDNS({"busy.example": ["8.8.8.8"]})
    clock = Clock()
    client, _ = make_client(dns, cache_ttl=60.0, clock=clock)
    async with client:
        # When the same host is requested repeatedly within the TTL, then after it
        for _ in range(5):
            await client.post("https://busy.example/inbox", content=b"{}")
        clock.now += 61
        await client.post("https://busy.example/inbox", content=b"{}")
    # Then DNS was asked once per TTL period
    assert dns.lookups == [("busy.example", 443), ("busy.example", 443)]


@pytest.mark.asyncio
async def test_guard__cache_is_bounded() -> None:
    dns = FakeDNS({f"h{i}.example": ["8.8.8.8"] for i in range(3)})
    client, _ = make_client(dns, cache_size=2)
    async with client:
        for host in ["h0", "h1", "h2", "h0"]:
            await client.get(f"https://{host}.example/")
    assert [host for host, _ in dns.lookups] == [
        "h0.example",
        "h1.example",
        "h2.example",
        "h0.example",
    ]


@pytest.mark.asyncio
async def test_guard__default_resolver_refuses_localhost() -> None:
    transport = GuardedTransport(httpx.MockTransport(lambda request: httpx.Response(200)))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(UnsafeURLError, match="localhost"):
            await client.get("http://localhost:9/")
