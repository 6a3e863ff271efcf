"""Delivering one activity to one inbox: sign the stored bytes, POST, classify the answer.

Draft-cavage goes first; a 400/401 is retried once with RFC 9421 and the scheme that works is
remembered per host ("double knocking", as Mastodon 4.7 and Fedify do).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp
import httpx
import yarl

from federation.errors import InvalidDocumentError, UnsafeURLError
from federation.fetch import TIMEOUT, inflate_head, read_decoded
from federation.guard import GuardedTransport, RefusedAddressError
from federation.httpsig import Scheme, SigningKey, sign_request
from federation.retry import Verdict, classify_status, parse_retry_after

__all__ = ["CONTENT_TYPE", "DeliveryOutcome", "SchemeMemory", "deliver"]

CONTENT_TYPE = "application/activity+json"
_ERROR_LIMIT = 500
#: A delivered answer up to this size is read to its end, so its connection is reused.
_DRAIN_LIMIT = 64 * 1024
#: …and only for so long: the delivery is done once the status is in.
_DRAIN_SECONDS = 2.0
#: An IRI that can go on the wire as it is: printable ASCII, no spaces.
_PRINTABLE_ASCII = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one POST went; ``verdict`` drives the retry policy."""

    verdict: Verdict
    status: int | None = None
    error: str = ""
    retry_after: datetime | None = None


class SchemeMemory:
    """The signature scheme each host accepted last (cavage unless it refused it)."""

    def __init__(self) -> None:
        self._schemes: dict[str, Scheme] = {}

    def first(self, host: str) -> Scheme:
        return self._schemes.get(host, "cavage")

    def remember(self, host: str, scheme: Scheme) -> None:
        self._schemes[host] = scheme


@dataclass(frozen=True)
class _Answer:
    status_code: int
    headers: Mapping[str, str]
    text: str


async def _post(
    transport: httpx.AsyncBaseTransport,
    inbox_uri: str,
    body: bytes,
    key: SigningKey,
    scheme: Scheme,
    user_agent: str,
    timeouts: httpx.Timeout,
) -> _Answer:
    """Sign at send time with the wall clock (receivers check ``Date``), then POST.

    A delivery needs none of ``AsyncClient``'s per-request work (cookie jar, redirects, auth,
    URL merging: a third of the worker's time): it goes to the transport, or, behind the
    guard's checks, on the transport's aiohttp session itself, since building the httpx
    request and translating it for aiohttp cost as much again as aiohttp's own work
    (docs/performance.md). Only the start of an error body is read.
    """
    headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE, "User-Agent": user_agent}
    headers |= sign_request(
        method="POST", url=inbox_uri, headers=headers, body=body, key=key, scheme=scheme
    )
    if isinstance(transport, GuardedTransport) and (session := transport.session()) is not None:
        return await _post_on_session(transport, session, inbox_uri, headers, body, timeouts)
    request = httpx.Request(
        "POST", inbox_uri, content=body, headers=headers, extensions={"timeout": timeouts.as_dict()}
    )
    response = await transport.handle_async_request(request)
    try:
        text = ""
        if classify_status(response.status_code) != "delivered":
            text = await _error_text(read_decoded(response, limit=_ERROR_LIMIT, url=inbox_uri))
    finally:
        await response.aclose()
    return _Answer(response.status_code, response.headers, text)


async def _post_on_session(
    guard: GuardedTransport,
    session: aiohttp.ClientSession,
    inbox_uri: str,
    headers: dict[str, str],
    body: bytes,
    timeouts: httpx.Timeout,
) -> _Answer:
    """POST on aiohttp after the guard's checks; its errors come out as httpx's, as above."""
    # Sent as written, so the path on the wire is the one signed (yarl would re-encode it).
    url = yarl.URL(inbox_uri, encoded=_PRINTABLE_ASCII.fullmatch(inbox_uri) is not None)
    await guard.check_target(url.scheme, url.raw_host or "", url.port)
    timeout = aiohttp.ClientTimeout(
        sock_connect=timeouts.connect, sock_read=timeouts.read, connect=timeouts.pool
    )
    try:
        async with session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            auto_decompress=False,
            timeout=timeout,
        ) as response:
            text = ""
            if classify_status(response.status) != "delivered":
                coding = response.headers.get("content-encoding")
                chunks = response.content.iter_any()
                text = await _error_text(
                    inflate_head(chunks, coding, limit=_ERROR_LIMIT, url=inbox_uri)
                )
            else:
                await _drain(response.content, _DRAIN_LIMIT, _DRAIN_SECONDS)
            return _Answer(response.status, response.headers, text)
    except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
        raise httpx.TimeoutException(f"{type(exc).__name__}: {exc}") from exc
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, RefusedAddressError):  # the connector's own resolution
            raise UnsafeURLError(str(exc.os_error)) from exc
        raise httpx.ConnectError(str(exc)) from exc
    except aiohttp.ClientError as exc:
        raise httpx.NetworkError(f"{type(exc).__name__}: {exc}") from exc


async def _drain(content: aiohttp.StreamReader, limit: int, seconds: float) -> None:
    """Read a short answer to its end: a connection whose answer is left unread is closed,
    not pooled, and the next delivery to that host would pay a new handshake.

    The delivery is done whatever happens here: an answer cut short, too long or too slow
    only costs its connection.
    """
    seen = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in content.iter_any():
                seen += len(chunk)
                if seen > limit:
                    return
    except (aiohttp.ClientError, TimeoutError):
        return


async def _error_text(head: Awaitable[bytes]) -> str:
    """Return the start of an error page, decoded; empty when its coding is unreadable."""
    try:
        return (await head)[:_ERROR_LIMIT].decode("utf-8", "replace")
    except InvalidDocumentError:
        return ""


async def deliver(
    transport: httpx.AsyncBaseTransport,
    *,
    inbox_uri: str,
    body: bytes,
    key: SigningKey,
    schemes: SchemeMemory,
    now: datetime,
    user_agent: str,
    timeouts: httpx.Timeout = TIMEOUT,
) -> DeliveryOutcome:
    """Return the outcome of POSTing ``body`` (the exact stored bytes) to ``inbox_uri``.

    ``now`` is the scheduler's clock, used to read ``Retry-After``.
    """
    host = urlsplit(inbox_uri).netloc
    scheme = schemes.first(host)
    try:
        response = await _post(transport, inbox_uri, body, key, scheme, user_agent, timeouts)
        if response.status_code in (400, 401):
            other: Scheme = "rfc9421" if scheme == "cavage" else "cavage"
            retried = await _post(transport, inbox_uri, body, key, other, user_agent, timeouts)
            if classify_status(retried.status_code) == "delivered":
                schemes.remember(host, other)
                response = retried
    except UnsafeURLError as exc:
        return DeliveryOutcome("failed", error=f"refused: {exc}")
    except httpx.TimeoutException as exc:
        return DeliveryOutcome("retry", error=f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return DeliveryOutcome("retry", error=f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT])
    verdict = classify_status(response.status_code)
    error = "" if verdict == "delivered" else response.text
    return DeliveryOutcome(
        verdict,
        status=response.status_code,
        error=error,
        retry_after=parse_retry_after(response.headers.get("retry-after"), now=now),
    )
