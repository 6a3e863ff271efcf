"""WebFinger client and server helpers; the network is an httpx.MockTransport behind the guard."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.errors import FetchStatusError, WebFingerError
from federation.fetch import Fetcher
from federation.guard import GuardedTransport
from federation.httpsig import SigningKey
from federation.webfinger import (
    JRD_ACCEPT,
    XRD_ACCEPT,
    NoFollowTemplate,
    follow_template,
    parse_handle,
    parse_resource,
    resolve_handle,
    webfinger_document,
)

ACTOR_URI = "https://remote.example/users/alice"
AS2_LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
SELF = {"rel": "self", "type": "application/activity+json", "href": ACTOR_URI}
PROFILE_PAGE = {
    "rel": "http://webfinger.net/rel/profile-page",
    "type": "text/html",
    "href": "https://remote.example/@alice",
}
HOST_META = b"""<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="https://remote.example/wf?resource={uri}"/>
</XRD>"""


async def resolve(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


def make_fetcher(routes: dict[str, Any]) -> tuple[Fetcher, list[httpx.Request]]:
    """Return a fetcher whose network answers ``routes[path]`` (a JRD dict, bytes or a status)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = routes.get(request.url.path, 404)
        if isinstance(answer, int):
            return httpx.Response(answer)
        if isinstance(answer, bytes):
            return httpx.Response(
                200, headers={"Content-Type": "application/xrd+xml"}, content=answer
            )
        return httpx.Response(200, headers={"Content-Type": "application/jrd+json"}, json=answer)

    client = httpx.AsyncClient(
        transport=GuardedTransport(httpx.MockTransport(handler), resolver=resolve)
    )
    key = SigningKey(
        key_id="https://local.example/actor#main-key",
        private_key=ed25519.Ed25519PrivateKey.generate(),
    )
    return Fetcher(client, signing_key=key), seen


def jrd(*links: dict[str, str]) -> dict[str, Any]:
    return {"subject": "acct:alice@remote.example", "links": list(links)}


# parse_handle


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@remote.example", ("alice", "remote.example")),
        ("@Alice@Remote.Example", ("Alice", "remote.example")),
        ("acct:alice@localhost:8000", ("alice", "localhost:8000")),
        ("ACCT:a.b-c_d@h.example", ("a.b-c_d", "h.example")),
        ("  alice@remote.example\n", ("alice", "remote.example")),
        ("coop@[::1]:8000", ("coop", "[::1]:8000")),
        ("example.org@example.org", ("example.org", "example.org")),
        ("a..b@xn--bcher-kva.example", ("a..b", "xn--bcher-kva.example")),
    ],
)
def test_parse_handle__valid(value: str, expected: tuple[str, str]) -> None:
    assert parse_handle(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "alice",
        "@alice",
        "alice@",
        "@alice@",
        "a@b@c.example",
        "acct:@alice@remote.example",
        "al ice@remote.example",
        "alice+tag@remote.example",
        ".alice@remote.example",
        "alice.@remote.example",
        "-alice@remote.example",
        "élise@remote.example",
        "alice@remote example",
        "alice@remote.example/path",
        "alice@-bad.example",
        "alice@remote.example:",
        "alice@remote.example#x",
        "https://remote.example/users/alice",
    ],
)
def test_parse_handle__malformed(value: str) -> None:
    with pytest.raises(WebFingerError, match="malformed handle"):
        parse_handle(value)


# follow_template

OSTATUS = {
    "rel": "http://ostatus.org/schema/1.0/subscribe",
    "template": "https://remote.example/authorize_interaction?uri={uri}",
}
FOLLOW_INTENT = {
    "rel": "https://w3id.org/fep/3b86/Follow",
    "template": "https://remote.example/intents/follow?object={object}",
}
OBJECT_INTENT = {
    "rel": "https://w3id.org/fep/3b86/Object",
    "template": "https://remote.example/intents/object?object={object}",
}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([OSTATUS], "https://remote.example/authorize_interaction?uri={uri}"),
        ([OSTATUS, OBJECT_INTENT], "https://remote.example/intents/object?object={uri}"),
        ([OBJECT_INTENT, FOLLOW_INTENT], "https://remote.example/intents/follow?object={uri}"),
    ],
)
async def test_follow_template__fep_3b86_follow_then_object_then_ostatus(
    links: list[dict[str, str]], expected: str
) -> None:
    fetcher, _ = make_fetcher({"/.well-known/webfinger": jrd(SELF, *links)})
    assert await follow_template(fetcher, "alice@remote.example") == expected


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "links",
    [
        [],
        [{"rel": OSTATUS["rel"], "template": "javascript:alert(1)//{uri}"}],
        [{"rel": FOLLOW_INTENT["rel"], "template": "https://remote.example/follow"}],
    ],
)
async def test_follow_template__none_usable(links: list[dict[str, str]]) -> None:
    fetcher, _ = make_fetcher({"/.well-known/webfinger": jrd(SELF, *links)})
    with pytest.raises(NoFollowTemplate):
        await follow_template(fetcher, "alice@remote.example")


@pytest.mark.asyncio
async def test_follow_template__unreachable_server_keeps_the_cause() -> None:
    fetcher, _ = make_fetcher({"/.well-known/webfinger": 500})
    with pytest.raises(WebFingerError) as raised:
        await follow_template(fetcher, "alice@remote.example")
    assert not isinstance(raised.value, NoFollowTemplate)
    assert isinstance(raised.value.__cause__, FetchStatusError)


# resolve_handle


@pytest.mark.asyncio
async def test_resolve_handle__happy_path() -> None:
    fetcher, seen = make_fetcher({"/.well-known/webfinger": jrd(PROFILE_PAGE, SELF)})
    assert await resolve_handle(fetcher, "@alice@remote.example") == ACTOR_URI
    (request,) = seen
    assert (
        str(request.url)
        == "https://remote.example/.well-known/webfinger?resource=acct:alice@remote.example"
    )
    assert request.headers["accept"] == JRD_ACCEPT
    assert "signature" not in request.headers


@pytest.mark.asyncio
async def test_resolve_handle__insecure_http_keeps_port() -> None:
    fetcher, seen = make_fetcher({"/.well-known/webfinger": jrd(SELF)})
    assert (
        await resolve_handle(fetcher, "alice@remote.example:8001", insecure_http=True) == ACTOR_URI
    )
    assert str(seen[0].url).startswith("http://remote.example:8001/.well-known/webfinger?")


@pytest.mark.asyncio
async def test_resolve_handle__404_falls_back_to_host_meta() -> None:
    # Given a server without /.well-known/webfinger but with a host-meta lrdd template
    fetcher, seen = make_fetcher({"/.well-known/host-meta": HOST_META, "/wf": jrd(SELF)})
    # When resolving
    actor_uri = await resolve_handle(fetcher, "alice@remote.example")
    # Then the template was filled with the acct: resource
    assert actor_uri == ACTOR_URI
    assert [r.url.path for r in seen] == ["/.well-known/webfinger", "/.well-known/host-meta", "/wf"]
    assert seen[1].headers["accept"] == XRD_ACCEPT
    assert seen[2].url.params["resource"] == "acct:alice@remote.example"


@pytest.mark.asyncio
async def test_resolve_handle__host_meta_fallback_happens_once() -> None:
    fetcher, seen = make_fetcher({"/.well-known/host-meta": HOST_META})
    with pytest.raises(WebFingerError):
        await resolve_handle(fetcher, "alice@remote.example")
    assert [r.url.path for r in seen] == ["/.well-known/webfinger", "/.well-known/host-meta", "/wf"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("host_meta", "message"),
    [
        (404, "404"),
        (
            b"<XRD><Link rel='lrdd' template='https://remote.example/wf?resource={uri}'/></XRD>",
            "no lrdd",
        ),
        (HOST_META.replace(b"{uri}", b"x"), "no lrdd"),
        (b"not xml <", "not XML"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><XRD/>', "DTD"),
    ],
)
async def test_resolve_handle__unusable_host_meta(host_meta: Any, message: str) -> None:
    fetcher, _ = make_fetcher({"/.well-known/host-meta": host_meta, "/wf": jrd(SELF)})
    with pytest.raises(WebFingerError, match=message):
        await resolve_handle(fetcher, "alice@remote.example")


@pytest.mark.asyncio
async def test_resolve_handle__gone_is_kept_as_cause() -> None:
    fetcher, seen = make_fetcher({"/.well-known/webfinger": 410})
    with pytest.raises(WebFingerError) as caught:
        await resolve_handle(fetcher, "alice@remote.example")
    assert isinstance(caught.value.__cause__, FetchStatusError)
    assert caught.value.__cause__.status == 410
    assert len(seen) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "links",
    [
        [PROFILE_PAGE],
        [{**SELF, "type": "text/html"}],
        [{**SELF, "type": "application/json"}],
        [{**SELF, "type": "application/ld+json"}],
        [{**SELF, "href": "javascript:alert(1)"}],
        [{"rel": "self", "type": "application/activity+json"}],
        "not a list",
    ],
)
async def test_resolve_handle__missing_self_link(links: Any) -> None:
    fetcher, _ = make_fetcher(
        {"/.well-known/webfinger": {"subject": "acct:alice@remote.example", "links": links}}
    )
    with pytest.raises(WebFingerError, match="no ActivityPub self link"):
        await resolve_handle(fetcher, "alice@remote.example")


@pytest.mark.asyncio
async def test_resolve_handle__first_matching_self_link_wins() -> None:
    links = jrd(
        {**SELF, "type": "text/html", "href": "https://remote.example/@alice"},
        {**SELF, "type": AS2_LD, "href": "https://remote.example/ap/alice"},
        SELF,
    )
    fetcher, _ = make_fetcher({"/.well-known/webfinger": links})
    assert (
        await resolve_handle(fetcher, "alice@remote.example") == "https://remote.example/ap/alice"
    )


@pytest.mark.asyncio
async def test_resolve_handle__malformed_handle_makes_no_request() -> None:
    fetcher, seen = make_fetcher({})
    with pytest.raises(WebFingerError, match="malformed"):
        await resolve_handle(fetcher, "alice+x@remote.example")
    assert seen == []


@pytest.mark.asyncio
async def test_resolve_handle__invalid_json_is_a_webfinger_error() -> None:
    fetcher, _ = make_fetcher({"/.well-known/webfinger": b"<html>oops</html>"})
    with pytest.raises(WebFingerError, match="not valid JSON"):
        await resolve_handle(fetcher, "alice@remote.example")


# webfinger_document


def test_webfinger_document__mastodon_shape() -> None:
    document = webfinger_document(
        subject="acct:coop@local.example",
        actor_uri="https://local.example/actors/coop",
        profile_url="https://local.example/@coop",
        subscribe_template="https://local.example/authorize_interaction?uri={uri}",
    )
    assert document == {
        "subject": "acct:coop@local.example",
        "aliases": ["https://local.example/@coop", "https://local.example/actors/coop"],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": "https://local.example/@coop",
            },
            {
                "rel": "self",
                "type": "application/activity+json",
                "href": "https://local.example/actors/coop",
            },
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": "https://local.example/authorize_interaction?uri={uri}",
            },
        ],
    }


def test_webfinger_document__without_subscribe_template() -> None:
    document = webfinger_document(
        subject="acct:local.example@local.example",
        actor_uri="https://local.example/actor",
        profile_url="https://local.example/actor",
    )
    assert document["aliases"] == ["https://local.example/actor"]
    assert [link["rel"] for link in document["links"]] == [
        "http://webfinger.net/rel/profile-page",
        "self",
    ]


# parse_resource

BASE = {"local_domain": "local.example", "base_url": "https://local.example"}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:coop@local.example", ("acct", "coop")),
        ("ACCT:coop@Local.Example", ("acct", "coop")),
        ("coop@local.example", ("acct", "coop")),
        ("local.example@local.example", ("acct", "local.example")),
        ("https://local.example/actors/coop", ("url", "https://local.example/actors/coop")),
        ("https://LOCAL.example:443/@coop", ("url", "https://LOCAL.example:443/@coop")),
        ("https://local.example", ("url", "https://local.example")),
    ],
)
def test_parse_resource__ours(resource: str, expected: tuple[str, str]) -> None:
    assert parse_resource(resource, **BASE) == expected


def test_parse_resource__port_and_path_prefix() -> None:
    options = {"local_domain": "localhost:8000", "base_url": "http://localhost:8000/communs/"}
    assert parse_resource("acct:coop@localhost:8000", **options) == ("acct", "coop")
    assert parse_resource("http://localhost:8000/communs/actors/coop", **options)[0] == "url"
    for foreign in [
        "coop@localhost",
        "http://localhost:8000/communsx/a",
        "http://localhost:8001/communs/a",
    ]:
        with pytest.raises(LookupError):
            parse_resource(foreign, **options)


@pytest.mark.parametrize(
    "resource",
    [
        "acct:coop@other.example",
        "coop@local.example.evil",
        "https://other.example/actors/coop",
        "http://local.example/actors/coop",
        "https://local.example:8443/actors/coop",
    ],
)
def test_parse_resource__foreign_is_lookup_error(resource: str) -> None:
    with pytest.raises(LookupError):
        parse_resource(resource, **BASE)


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "coop",
        "acct:",
        "acct:coop",
        "coop@",
        "@coop@local.example",
        "co op@local.example",
        "coop+x@local.example",
        "mailto:coop@local.example",
        "https:///actors/coop",
        "https://local.example:99999/x",
    ],
)
def test_parse_resource__malformed_is_value_error(resource: str) -> None:
    with pytest.raises(ValueError):
        parse_resource(resource, **BASE)
