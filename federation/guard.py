"""An httpx transport that refuses to reach private networks (server-side request forgery).

Remote servers choose the URLs we fetch (actor ids, key ids, redirects, inboxes), so without this
guard anyone could make us GET ``http://169.254.169.254/`` or POST into the admin's LAN. Mirroring
Mastodon's ``Request::Socket.check_private_address``, the check runs on *every* request the client
sends, which covers each redirect hop and each delivery POST, not only the first fetch.

DNS rebinding: the transport resolves the host and checks the addresses, then the inner
transport resolves the name again when it connects, so a hostile name server answering a public
address first and a private one a moment later could slip through. ``GuardedResolver`` closes
that window for aiohttp: the connector's own resolution is checked too, so the addresses it
dials are addresses that passed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.errors import UnsafeURLError

__all__ = [
    "GuardedResolver",
    "GuardedTransport",
    "RefusedAddressError",
    "Resolver",
    "is_public_address",
]

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Returns the IP addresses a host name resolves to, as strings; raises ``OSError`` on failure."""

# Named explicitly because ``is_global`` has changed between Python patch releases.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this" network, unspecified
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_public_address(ip: str) -> bool:
    """Return whether ``ip`` is a globally routable unicast address we may connect to.

    IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry. Anything that does
    not parse as an IP address is not public.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    return not any(address in network for network in _REFUSED_NETWORKS)


async def _system_resolve(host: str, port: int) -> list[str]:
    """Resolve with the event loop's ``getaddrinfo``, which runs in a thread."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks scheme and resolved addresses of every request before handing it to ``inner``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        allow_private_networks: bool = False,
        resolver: Resolver = _system_resolve,
        cache_ttl: float = 60.0,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.monotonic,
        session: Callable[[], aiohttp.ClientSession] | None = None,
    ) -> None:
        self._inner = inner
        self._session = session
        self._allow_private_networks = allow_private_networks
        self._resolver = resolver
        self._cache_ttl = cache_ttl
        self._cache_size = cache_size
        self._clock = clock
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Return the inner transport's response once the request's target is judged safe.

        Raises ``UnsafeURLError`` for a non-http(s) scheme or a non-public address (checked
        here, or refused by the connector's own resolution), and ``httpx.ConnectError`` when
        the host does not resolve (so callers treat it like any other connection failure).
        """
        await self._check(request)
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:  # the adapter words a refusal as a connect timeout
            refusal = _refusal_in(exc)
            if refusal is None:
                raise
            raise UnsafeURLError(str(refusal)) from exc

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()

    def session(self) -> aiohttp.ClientSession | None:
        """Return the aiohttp session the inner transport sends on, if it has one.

        Deliveries POST on it directly, after ``check_target``: a request through httpx and
        its aiohttp adapter cost twice the CPU of aiohttp alone (docs/performance.md). Its
        connector resolves through ``GuardedResolver`` unless private networks are allowed.
        """
        return self._session() if self._session is not None else None

    async def check_target(self, scheme: str, host: str, port: int | None) -> None:
        """Raise ``UnsafeURLError`` unless ``scheme://host:port`` may be reached.

        ``host`` is the ASCII (IDNA) form, without brackets for IPv6. Raises
        ``httpx.ConnectError`` when the host does not resolve.
        """
        if scheme not in _DEFAULT_PORTS:
            raise UnsafeURLError(f"refusing {scheme or 'relative'} URL to {host}")
        if not host:
            raise UnsafeURLError("refusing URL without a host")
        if self._allow_private_networks:
            return
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = await self._resolve(host, port or _DEFAULT_PORTS[scheme])
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeURLError(f"refusing {host}: it resolves to {address}")

    async def _check(self, request: httpx.Request) -> None:
        url = request.url
        try:
            await self.check_target(url.scheme, url.raw_host.decode("ascii"), url.port)
        except httpx.ConnectError as exc:
            exc.request = request
            raise

    async def _resolve(self, host: str, port: int) -> list[str]:
        """Return the host's addresses, from the cache while they are fresh."""
        now = self._clock()
        cached = self._cache.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            addresses = await self._resolver(host, port)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpx.ConnectError(f"{host} resolves to no address")
        self._cache.pop((host, port), None)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))  # the oldest entry
        self._cache[(host, port)] = (now + self._cache_ttl, addresses)
        return addresses


class RefusedAddressError(OSError):
    """A host resolved to a non-public address when the connector dialled it."""


def _refusal_in(error: BaseException) -> RefusedAddressError | None:
    """Return the ``RefusedAddressError`` behind ``error``, if its chain of causes holds one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, RefusedAddressError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver refusing hosts with a non-public address, as ``GuardedTransport`` does.

    Given to the connector that makes the connections, it checks the very addresses dialled.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return ``inner``'s answer; raise ``RefusedAddressError`` if one is not public."""
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if not is_public_address(result["host"]):
                raise RefusedAddressError(f"refusing {host}: it resolves to {result['host']}")
        return results

    async def close(self) -> None:
        await self._inner.close()
