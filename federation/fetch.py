"""Fetching remote documents with Mastodon's rules (FEDERATION.md, "Signatures, fetching and
delivery").

A remote server decides what we download, so every fetch is bounded: at most three redirects,
1 MiB of body, 5 s to connect, 10 s between reads and 30 s in all. ActivityStreams documents
must say so in their ``Content-Type`` (``application/json`` is refused, as Mastodon has done
since 4.2.5) and, when the caller knows the id, carry exactly that ``id``. Addresses are checked
by the client's ``GuardedTransport``, on every hop.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from federation.errors import (
    FetchNetworkError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    InvalidDocumentError,
    UnsafeURLError,
)
from federation.httpsig import SignatureAuth, SigningKey
from federation.storable import UnstorableText
from federation.storable import loads as storable_json

__all__ = [
    "AS2_ACCEPT",
    "AS2_CONTEXT",
    "DEADLINE",
    "MAX_BODY",
    "MAX_REDIRECTS",
    "TIMEOUT",
    "Fetcher",
    "inflate_head",
    "is_as2_content_type",
    "read_decoded",
]

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS2_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS2_CONTEXT}"'
MAX_BODY = 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEADLINE = 30.0
"""Default seconds for a whole fetch, redirects included: read timeouts alone let a server drip."""


def is_as2_content_type(value: str) -> bool:
    """Return whether a ``Content-Type`` header announces an ActivityStreams document.

    That is ``application/activity+json``, or ``application/ld+json`` whose ``profile`` lists
    the ActivityStreams URI, as Mastodon's ``valid_activitypub_content_type?`` requires.
    """
    media_type, *params = (part.strip() for part in value.split(";"))
    if media_type.lower() == "application/activity+json":
        return True
    if media_type.lower() != "application/ld+json":
        return False
    for param in params:
        name, _, profile = param.partition("=")
        if name.strip().lower() == "profile":
            return AS2_CONTEXT in profile.strip().strip('"').split()
    return False


class Fetcher:
    """Fetches remote documents through a caller-owned, guarded ``httpx.AsyncClient``.

    GETs of ActivityStreams documents are always signed by the instance actor's key: a
    Mastodon server in authorized-fetch mode answers an unsigned GET of an actor with a
    stripped document (no name, bio or collections), not with a 401 that would call for a
    signed retry. WebFinger, host-meta and NodeInfo go out unsigned, as Mastodon's do.
    ``deadline`` bounds a whole fetch, in seconds.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        signing_key: SigningKey,
        deadline: float = DEADLINE,
    ) -> None:
        self._client = client
        self._auth = SignatureAuth(signing_key)
        self._deadline = deadline

    async def fetch_object(self, url: str) -> dict[str, Any]:
        """Return the ActivityStreams object at ``url``, whose ``id`` must be exactly ``url``.

        Raises ``InvalidDocumentError`` when the id differs (a redirect to another object
        included), and everything ``fetch_unknown_id`` raises.
        """
        document = await self.fetch_unknown_id(url)
        if document.get("id") != url:
            raise InvalidDocumentError(f"{url} answered with id {document.get('id')!r}")
        return document

    async def fetch_unknown_id(self, url: str) -> dict[str, Any]:
        """Return the ActivityStreams document at ``url`` without checking its ``id``.

        Meant for key ids such as ``https://h/users/x#main-key``: the fragment is never sent,
        and the caller checks ``publicKey.id`` and its owner. Raises ``UnsafeURLError``
        (refused address or scheme, too many redirects), ``FetchStatusError`` (non-2xx),
        ``FetchTooLargeError``, ``FetchNetworkError``/``FetchTimeoutError`` and
        ``InvalidDocumentError`` (not AS2 content, not a JSON object).
        """
        async with _fetch_errors(url, deadline=self._deadline):
            response = await self._open(url, accept=AS2_ACCEPT, signed=True)
            try:
                content_type = response.headers.get("content-type", "")
                if not is_as2_content_type(content_type):
                    raise InvalidDocumentError(
                        f"{url} is {content_type or 'untyped'}, not an ActivityStreams document"
                    )
                body = await _read_limited(response, url)
            finally:
                await response.aclose()
        return _json_object(body, url)

    async def get_json(self, url: str, *, accept: str) -> dict[str, Any]:
        """Return the JSON object at ``url``, fetched unsigned (WebFinger, NodeInfo).

        The ``Content-Type`` is not checked, like Mastodon's WebFinger client. Raises what
        ``get_bytes`` raises, and ``InvalidDocumentError`` when the body is not a JSON object.
        """
        return _json_object(await self.get_bytes(url, accept=accept), url)

    async def get_bytes(self, url: str, *, accept: str) -> bytes:
        """Return the body at ``url``, fetched unsigned with the usual limits (host-meta XML).

        Raises ``UnsafeURLError``, ``FetchStatusError``, ``FetchTooLargeError`` and
        ``FetchNetworkError``/``FetchTimeoutError``.
        """
        async with _fetch_errors(url, deadline=self._deadline):
            response = await self._open(url, accept=accept, signed=False)
            try:
                return await _read_limited(response, url)
            finally:
                await response.aclose()

    async def _open(self, url: str, *, accept: str, signed: bool) -> httpx.Response:
        """Return the streaming 2xx response at the end of at most ``MAX_REDIRECTS`` hops."""
        target = _checked_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._send(target, accept=accept, signed=signed)
            if not response.has_redirect_location:
                if not response.is_success:
                    await response.aclose()
                    raise FetchStatusError(url, response.status_code)
                return response
            await response.aclose()
            target = _checked_url(response.headers["location"], base=target)
        raise UnsafeURLError(f"{url}: more than {MAX_REDIRECTS} redirects")

    async def _send(self, url: httpx.URL, *, accept: str, signed: bool) -> httpx.Response:
        request = self._client.build_request(
            "GET",
            url,
            headers={"Accept": accept, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=TIMEOUT,
        )
        return await self._client.send(
            request, auth=self._auth if signed else None, follow_redirects=False, stream=True
        )


@asynccontextmanager
async def _fetch_errors(url: str, *, deadline: float) -> AsyncIterator[None]:
    """Enforce the overall deadline and turn httpx's exceptions into ``FetchError`` subclasses."""
    try:
        async with asyncio.timeout(deadline):
            yield
    except TimeoutError as exc:
        raise FetchTimeoutError(f"{url}: no complete answer within {deadline:g} s") from exc
    except httpx.TimeoutException as exc:
        raise FetchTimeoutError(f"{url}: {_describe(exc)}") from exc
    except httpx.DecodingError as exc:
        raise InvalidDocumentError(f"{url}: undecodable body: {_describe(exc)}") from exc
    except httpx.HTTPError as exc:
        raise FetchNetworkError(f"{url}: {_describe(exc)}") from exc
    except httpx.InvalidURL as exc:
        raise UnsafeURLError(f"{url}: malformed URL: {exc}") from exc


def _checked_url(url: str, *, base: httpx.URL | None = None) -> httpx.URL:
    """Return ``url`` parsed (against ``base``) without its fragment; raise ``UnsafeURLError``
    for one no request can go to (malformed, a host IDNA refuses, a port past 65535)."""
    try:
        parsed = (base.join(url) if base is not None else httpx.URL(url)).copy_with(fragment=None)
        parsed.host  # noqa: B018  (decodes an IDNA host, which a request would do later)
    except (httpx.InvalidURL, ValueError) as exc:  # ValueError: IDNA's errors are UnicodeErrors
        raise UnsafeURLError(f"{url}: malformed URL: {exc}") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnsafeURLError(f"{url}: port {parsed.port} out of range")
    return parsed


def _describe(exc: Exception) -> str:
    """Name the exception class too: httpx messages are often empty or bare errno text."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


#: Content codings we accept, and the ``zlib`` window bits that read them.
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "identity": None}
ACCEPT_ENCODING = "gzip, deflate"


async def _read_limited(response: httpx.Response, url: str) -> bytes:
    """Return the decoded body, refusing it as soon as its *decoded* size passes ``MAX_BODY``."""
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise FetchTooLargeError(f"{url}: announces {declared} bytes, over {MAX_BODY}")
    body = await read_decoded(response, limit=MAX_BODY, url=url)
    if len(body) > MAX_BODY:
        raise FetchTooLargeError(f"{url}: body over {MAX_BODY} bytes")
    return body


async def read_decoded(response: httpx.Response, *, limit: int, url: str) -> bytes:
    """Return the start of the decoded body: all of it, or its first ``limit`` + 1 bytes.

    The body is inflated here, never more than ``limit`` + 1 bytes: httpx would inflate each
    network chunk whole, and a few kilobytes of gzip can hold gigabytes. Raises
    ``InvalidDocumentError`` for an unknown or broken content coding.
    """
    if response.is_stream_consumed:  # built in memory (tests): httpx has decoded it already
        return response.content[: limit + 1]
    coding = response.headers.get("content-encoding")
    return await inflate_head(response.aiter_raw(), coding, limit=limit, url=url)


async def inflate_head(
    chunks: AsyncIterable[bytes], coding: str | None, *, limit: int, url: str
) -> bytes:
    """Return the first ``limit`` + 1 bytes of a body sent with content coding ``coding``.

    Reading stops there, whatever the body's size. Raises ``InvalidDocumentError`` for an
    unknown or broken content coding.
    """
    coding = (coding or "identity").strip().lower() or "identity"
    if coding not in _CODINGS:
        raise InvalidDocumentError(f"{url}: unsupported content coding {coding!r}")
    wbits = _CODINGS[coding]
    inflate = zlib.decompressobj(wbits) if wbits is not None else None
    body = bytearray()
    async for chunk in chunks:
        if inflate is None:
            body += chunk
        else:
            try:
                body += inflate.decompress(chunk, limit + 1 - len(body))
            except zlib.error as exc:
                raise InvalidDocumentError(f"{url}: undecodable {coding} body: {exc}") from exc
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    """Return the body parsed as a JSON object."""
    try:
        document = storable_json(body)
    except UnstorableText as exc:
        raise InvalidDocumentError(f"{url}: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
        raise InvalidDocumentError(f"{url}: body is not valid JSON") from exc
    if not isinstance(document, dict):
        raise InvalidDocumentError(f"{url}: JSON is a {type(document).__name__}, not an object")
    return document
