"""Fetcher against a fake fediverse: httpx.MockTransport behind a GuardedTransport with fake DNS."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import (
    FetchError,
    FetchNetworkError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    InvalidDocumentError,
    UnsafeURLError,
)
from federation.fetch import AS2_ACCEPT, MAX_BODY, Fetcher, is_as2_content_type
from federation.guard import GuardedTransport
from federation.httpsig import SigningKey

ACTOR_URI = "https://remote.example/users/alice"
AS2 = {"Content-Type": "application/activity+json"}
KEY = SigningKey(
    key_id="https://local.example/actor#main-key",
    private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
)
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


async def resolve(host: str, port: int) -> list[str]:
    """Every *.example host is public except lan.example."""
    if host == "lan.example":
        return ["10.0.0.2"]
    if host.endswith(".example"):
        return ["93.184.215.14"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def make_fetcher(handler: Handler, **options: Any) -> tuple[Fetcher, list[httpx.Request]]:
    """Return a fetcher over the fake network, and the requests that reached it."""
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        response = handler(request)
        return response if isinstance(response, httpx.Response) else await response

    client = httpx.AsyncClient(
        transport=GuardedTransport(httpx.MockTransport(record), resolver=resolve)
    )
    return Fetcher(client, signing_key=KEY, **options), seen


def actor(request: httpx.Request, *, uri: str = ACTOR_URI) -> httpx.Response:
    return httpx.Response(200, headers=AS2, json={"id": uri, "type": "Person"})


def redirect_chain(hops: int) -> Handler:
    """Serve /0 → /1 → … → /hops, the last one being the actor (whose id is /0)."""

    def handler(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.rsplit("/", 1)[1])
        if step < hops:
            return httpx.Response(302, headers={"Location": f"/hop/{step + 1}"})
        return actor(request, uri="https://remote.example/hop/0")

    return handler


# is_as2_content_type


@pytest.mark.parametrize(
    "value",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        "Application/Activity+JSON",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        'application/ld+json;profile="https://www.w3.org/ns/activitystreams"; charset=utf-8',
        'application/ld+json; profile="https://example.org/x https://www.w3.org/ns/activitystreams"',
    ],
)
def test_is_as2_content_type__accepted(value: str) -> None:
    assert is_as2_content_type(value)


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://example.org/other"',
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams/extra"',
        "text/html; charset=utf-8",
        "",
    ],
)
def test_is_as2_content_type__refused(value: str) -> None:
    assert not is_as2_content_type(value)


# fetch_object


@pytest.mark.asyncio
async def test_fetch_object__as2_get() -> None:
    fetcher, seen = make_fetcher(actor)
    document = await fetcher.fetch_object(ACTOR_URI)
    assert document == {"id": ACTOR_URI, "type": "Person"}
    assert seen[0].headers["accept"] == AS2_ACCEPT


@pytest.mark.asyncio
async def test_fetch_object__ld_json_with_profile_accepted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        content_type = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
        return httpx.Response(200, headers={"Content-Type": content_type}, json={"id": ACTOR_URI})

    fetcher, _ = make_fetcher(handler)
    assert (await fetcher.fetch_object(ACTOR_URI))["id"] == ACTOR_URI


@pytest.mark.asyncio
@pytest.mark.parametrize("content_type", ["application/json", "application/ld+json", "text/html"])
async def test_fetch_object__non_as2_content_type_refused(content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": content_type}, json={"id": ACTOR_URI})

    fetcher, _ = make_fetcher(handler)
    with pytest.raises(InvalidDocumentError, match="not an ActivityStreams document"):
        await fetcher.fetch_object(ACTOR_URI)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "returned_id", ["https://remote.example/users/mallory", None, ACTOR_URI + "/"]
)
async def test_fetch_object__id_mismatch_refused(returned_id: str | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=AS2, json={"id": returned_id, "type": "Person"})

    fetcher, _ = make_fetcher(handler)
    with pytest.raises(InvalidDocumentError, match="answered with id"):
        await fetcher.fetch_object(ACTOR_URI)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
async def test_fetch_object__body_must_be_a_json_object(body: bytes, message: str) -> None:
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, headers=AS2, content=body))
    with pytest.raises(InvalidDocumentError, match=message):
        await fetcher.fetch_object(ACTOR_URI)


@pytest.mark.asyncio
async def test_fetch_object__gzip_body_decoded_and_bad_gzip_refused() -> None:
    good = gzip.compress(json.dumps({"id": ACTOR_URI}).encode())
    headers = {**AS2, "Content-Encoding": "gzip"}
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, headers=headers, content=good))
    assert (await fetcher.fetch_object(ACTOR_URI))["id"] == ACTOR_URI

    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, headers=headers, content=b"nope"))
    with pytest.raises(InvalidDocumentError, match="undecodable"):
        await fetcher.fetch_object(ACTOR_URI)


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [302, 304, 404, 410, 500])
async def test_fetch_object__non_2xx_is_a_status_error(status: int) -> None:
    fetcher, _ = make_fetcher(lambda request: httpx.Response(status, headers=AS2, json={}))
    with pytest.raises(FetchStatusError) as caught:
        await fetcher.fetch_object(ACTOR_URI)
    assert caught.value.status == status
    assert caught.value.url == ACTOR_URI


# redirects


@pytest.mark.asyncio
async def test_fetch_object__three_redirects_followed() -> None:
    fetcher, seen = make_fetcher(redirect_chain(3))
    document = await fetcher.fetch_object("https://remote.example/hop/0")
    assert document["id"] == "https://remote.example/hop/0"
    assert [r.url.path for r in seen] == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]


@pytest.mark.asyncio
async def test_fetch_object__four_redirects_refused() -> None:
    fetcher, seen = make_fetcher(redirect_chain(4))
    with pytest.raises(UnsafeURLError, match="redirects"):
        await fetcher.fetch_object("https://remote.example/hop/0")
    assert len(seen) == 4


@pytest.mark.asyncio
async def test_fetch_object__redirect_to_private_address_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://lan.example/secrets"})

    fetcher, seen = make_fetcher(handler)
    with pytest.raises(UnsafeURLError, match=r"lan\.example"):
        await fetcher.fetch_object(ACTOR_URI)
    assert [r.url.host for r in seen] == ["remote.example"]


@pytest.mark.asyncio
async def test_fetch_object__redirect_to_other_object_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/users/alice":
            return httpx.Response(302, headers={"Location": "https://other.example/users/bob"})
        return actor(request, uri="https://other.example/users/bob")

    fetcher, _ = make_fetcher(handler)
    with pytest.raises(InvalidDocumentError):
        await fetcher.fetch_object(ACTOR_URI)


# body size


@pytest.mark.asyncio
async def test_fetch_object__oversized_stream_aborted_early() -> None:
    # Given a server streaming 2 MiB without announcing a length
    served: list[int] = []

    async def two_mebibytes() -> AsyncIterator[bytes]:
        for index in range(32):
            served.append(index)
            yield b" " * 65536

    fetcher, _ = make_fetcher(
        lambda request: httpx.Response(200, headers=AS2, content=two_mebibytes())
    )
    # When fetching it
    with pytest.raises(FetchTooLargeError):
        await fetcher.fetch_object(ACTOR_URI)
    # Then reading stopped just past 1 MiB
    assert len(served) == MAX_BODY // 65536 + 1


@pytest.mark.asyncio
async def test_fetch_object__announced_oversized_body_refused_unread() -> None:
    served: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        served.append(b"x")
        yield b"{}"

    headers = {**AS2, "Content-Length": str(2 * MAX_BODY)}
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, headers=headers, content=body()))
    with pytest.raises(FetchTooLargeError, match="announces"):
        await fetcher.fetch_object(ACTOR_URI)
    assert served == []


@pytest.mark.asyncio
async def test_fetch_object__body_of_exactly_max_size_accepted() -> None:
    body = b'{"id": "%s"}' % ACTOR_URI.encode()
    body += b" " * (MAX_BODY - len(body))
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, headers=AS2, content=body))
    assert (await fetcher.fetch_object(ACTOR_URI))["id"] == ACTOR_URI


# signing


@pytest.mark.asyncio
async def test_fetch_object__signed_by_the_instance_actor_from_the_first_request() -> None:
    # Given a server that answers unsigned GETs with less (Mastodon's authorized fetch)
    fetcher, seen = make_fetcher(actor)
    # When fetching
    document = await fetcher.fetch_object(ACTOR_URI)
    # Then the one GET was signed by the instance actor, over what Mastodon requires
    assert document["id"] == ACTOR_URI
    assert len(seen) == 1
    signature = seen[0].headers["signature"]
    assert KEY.key_id in signature
    assert 'headers="(request-target) host date' in signature
    assert seen[0].headers["accept"] == AS2_ACCEPT


@pytest.mark.asyncio
async def test_fetch_object__a_401_to_a_signed_get_is_final() -> None:
    fetcher, seen = make_fetcher(lambda request: httpx.Response(401))
    with pytest.raises(FetchStatusError) as caught:
        await fetcher.fetch_object(ACTOR_URI)
    assert caught.value.status == 401
    assert len(seen) == 1


@pytest.mark.asyncio
async def test_fetch_object__signed_hops_stay_signed_after_redirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hop/0":
            return httpx.Response(302, headers={"Location": "/hop/1"})
        return actor(request, uri="https://remote.example/hop/0")

    fetcher, seen = make_fetcher(handler)
    await fetcher.fetch_object("https://remote.example/hop/0")
    assert ["signature" in r.headers for r in seen] == [True, True]


# network failures


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectTimeout("timed out"), FetchTimeoutError),
        (httpx.ReadTimeout(""), FetchTimeoutError),
        (httpx.ConnectError("[Errno 111] Connection refused"), FetchNetworkError),
        (httpx.RemoteProtocolError("peer closed connection"), FetchNetworkError),
    ],
)
async def test_fetch_object__network_errors_become_fetch_errors(
    failure: httpx.TransportError, expected: type[FetchError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    fetcher, _ = make_fetcher(handler)
    with pytest.raises(expected, match=type(failure).__name__) as caught:
        await fetcher.fetch_object(ACTOR_URI)
    assert ACTOR_URI in str(caught.value)


@pytest.mark.asyncio
async def test_fetch_object__unresolvable_host_is_a_network_error() -> None:
    fetcher, _ = make_fetcher(actor)
    with pytest.raises(FetchNetworkError, match="cannot resolve"):
        await fetcher.fetch_object("https://no-such-host.invalid/users/x")


async def stalls(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return actor(request)


def drips(request: httpx.Request) -> httpx.Response:
    async def drip() -> AsyncIterator[bytes]:
        for _ in range(100):
            await asyncio.sleep(0.01)
            yield b" "

    return httpx.Response(200, headers=AS2, content=drip())


@pytest.mark.asyncio
@pytest.mark.parametrize("handler", [stalls, drips])
async def test_fetch_object__deadline_covers_slow_answers_and_drips(handler: Handler) -> None:
    fetcher, _ = make_fetcher(handler, deadline=0.1)
    with pytest.raises(FetchTimeoutError, match=r"within 0\.1 s"):
        await fetcher.fetch_object(ACTOR_URI)


@pytest.mark.asyncio
@pytest.mark.parametrize("url", ["file:///etc/passwd", "https://lan.example/", "http://[::1]/"])
async def test_fetch_object__unsafe_urls_refused(url: str) -> None:
    fetcher, seen = make_fetcher(actor)
    with pytest.raises(UnsafeURLError):
        await fetcher.fetch_object(url)
    assert seen == []


# fetch_unknown_id and get_json


@pytest.mark.asyncio
async def test_fetch_unknown_id__fragment_not_sent_and_id_not_checked() -> None:
    fetcher, seen = make_fetcher(actor)
    document = await fetcher.fetch_unknown_id(ACTOR_URI + "#main-key")
    assert document["id"] == ACTOR_URI
    assert str(seen[0].url) == ACTOR_URI
    assert seen[0].url.fragment == ""


@pytest.mark.asyncio
async def test_fetch_unknown_id__still_requires_as2() -> None:
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, json={"id": ACTOR_URI}))
    with pytest.raises(InvalidDocumentError):
        await fetcher.fetch_unknown_id(ACTOR_URI + "#main-key")


@pytest.mark.asyncio
@pytest.mark.parametrize("content_type", ["application/jrd+json", "application/json", "text/plain"])
async def test_get_json__any_content_type_unsigned(content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": content_type}, json={"subject": "acct:a@h"}
        )

    fetcher, seen = make_fetcher(handler)
    url = "https://remote.example/.well-known/webfinger?resource=acct:a@remote.example"
    assert await fetcher.get_json(url, accept="application/jrd+json") == {"subject": "acct:a@h"}
    assert seen[0].headers["accept"] == "application/jrd+json"
    assert "signature" not in seen[0].headers


@pytest.mark.asyncio
async def test_get_json__no_signed_retry_on_401() -> None:
    fetcher, seen = make_fetcher(lambda request: httpx.Response(401))
    with pytest.raises(FetchStatusError):
        await fetcher.get_json("https://remote.example/nodeinfo/2.0", accept="application/json")
    assert len(seen) == 1


@pytest.mark.asyncio
async def test_get_json__same_limits() -> None:
    fetcher, _ = make_fetcher(redirect_chain(4))
    with pytest.raises(UnsafeURLError):
        await fetcher.get_json("https://remote.example/hop/0", accept="application/json")
    big = json.dumps({"x": "y" * MAX_BODY}).encode()
    fetcher, _ = make_fetcher(lambda request: httpx.Response(200, content=big))
    with pytest.raises(FetchTooLargeError):
        await fetcher.get_json("https://remote.example/big", accept="application/json")
