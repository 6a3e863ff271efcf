"""The inbox endpoints against a fake remote server: what is accepted, what is refused, and why.

The network is faked at the transport (``create_app(settings, transport=...)``): every request
the app sends — key fetches included — reaches ``RemoteServer``, which serves bob's actor
document and records what it was asked. Every refusal also checks that no incoming Activity
row was written (docs/architecture.md: a refused request touches nothing).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.main import create_app
from server.settings import Settings
from server.storage.models import Activity, Actor, Domain
from tests.conftest import TEST_BASE_URL, create_actor
from tests.fakeremote import (  # noqa: F401  (fixtures)
    AS2_TYPE,
    BOB,
    BOB_KEY_ID,
    BOB_PRIVATE,
    COOP,
    INBOX_PATH,
    NEW_PRIVATE,
    OTHER_PRIVATE,
    REMOTE,
    RemoteServer,
    activity,
    app,
    client,
    encode,
    hand_signed_headers,
    public_pem,
    remote,
    signed_headers,
)


async def post(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], path: str = INBOX_PATH
) -> httpx.Response:
    return await client.post(path, content=body, headers=headers)


async def incoming(app: FastAPI) -> list[Activity]:
    """Return the stored incoming activities."""
    async with app.state.communs.db.session() as session:
        rows = await session.execute(select(Activity).where(Activity.direction == "in"))
        return list(rows.scalars())


async def incoming_count(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.direction == "in")
        )
    return int(count or 0)


async def assert_refused(app: FastAPI, response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["detail"], str)
    assert await incoming_count(app) == 0


# ---------------------------------------------------------------------------------------------
# Accepted


@pytest.mark.parametrize("path", [INBOX_PATH, "/inbox"])
async def test_inbox__signed_follow_is_stored_once_and_key_cached(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer, path: str
) -> None:
    # Given a Follow from bob, signed with bob's key
    body = encode(activity())

    # When it is posted
    response = await post(client, body, signed_headers(body, path=path), path=path)

    # Then it is accepted and stored as received, byte for byte, after one key fetch
    assert response.status_code == 202
    assert response.json() == {"detail": "accepted"}
    [stored] = await incoming(app)
    assert stored.uri == f"{REMOTE}/activities/1"
    assert stored.type == "Follow" and stored.actor_uri == BOB and stored.object_uri == COOP
    assert stored.body == body and stored.state == "received"
    assert remote.key_fetches == 1
    assert remote.requests[0].headers["accept"].startswith(AS2_TYPE)

    # When bob sends another activity
    second = encode(activity("Like", number=2, object=f"{TEST_BASE_URL}/projects/x"))
    response = await post(client, second, signed_headers(second, path=path), path=path)

    # Then the cached key verifies it: no second fetch
    assert response.status_code == 202
    assert await incoming_count(app) == 2
    assert len(remote.requests) == 1


async def test_inbox__duplicate_activity_stored_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = encode(activity())
    first = await post(client, body, signed_headers(body))
    again = await post(client, body, signed_headers(body))
    assert first.status_code == again.status_code == 202
    assert again.json() == {"detail": "duplicate"}
    assert await incoming_count(app) == 1


async def test_inbox__rfc9421_signature(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    body = encode(activity())
    headers = signed_headers(body, scheme="rfc9421")
    assert "Signature-Input" in headers and "Content-Digest" in headers
    response = await post(client, body, headers)
    assert response.status_code == 202, response.text
    assert await incoming_count(app) == 1
    assert remote.key_fetches == 1


@pytest.mark.parametrize(
    "order",
    [
        pytest.param("host date digest content-type (request-target)", id="mastodon-4.6"),
        pytest.param("host date content-type digest (request-target)", id="mastodon-4.7"),
    ],
)
async def test_inbox__mastodon_header_orders(
    app: FastAPI, client: httpx.AsyncClient, order: str
) -> None:
    body = encode(activity())
    response = await post(client, body, hand_signed_headers(body, order))
    assert response.status_code == 202, response.text
    assert await incoming_count(app) == 1


async def test_inbox__key_rotation_refetches_once(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given the database holds bob's old key, and remote.example now publishes a new one
    async with app.state.communs.db.session() as session:
        session.add(
            Actor(
                uri=BOB,
                username="bob",
                domain="remote.example",
                type="Person",
                inbox_uri=f"{BOB}/inbox",
                key_id=BOB_KEY_ID,
                public_key_pem=public_pem(BOB_PRIVATE),
            )
        )
        await session.commit()
    remote.pem = public_pem(NEW_PRIVATE)

    # When bob signs with his new key
    body = encode(activity())
    response = await post(client, body, signed_headers(body, key=NEW_PRIVATE))

    # Then the stale key fails, the key is fetched again exactly once, and the activity is stored
    assert response.status_code == 202, response.text
    assert remote.key_fetches == 1
    assert await incoming_count(app) == 1
    async with app.state.communs.db.session() as session:
        pem = await session.scalar(select(Actor.public_key_pem).where(Actor.uri == BOB))
    assert pem == public_pem(NEW_PRIVATE)


# ---------------------------------------------------------------------------------------------
# Accepted but dropped


async def test_inbox__delete_of_unknown_actor_is_dropped_without_fetching(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given a Delete that an actor we never knew sends for itself (what a server sends on
    # account deletion to every instance it ever talked to; its key is gone with it)
    ghost = f"{REMOTE}/users/ghost"
    body = encode(activity("Delete", actor=ghost, object=ghost))
    headers = signed_headers(body, key=OTHER_PRIVATE, key_id=f"{ghost}#main-key")

    # When it is posted
    response = await post(client, body, headers)

    # Then it is acknowledged without a request to its server, and nothing is stored
    assert response.status_code == 202
    assert response.json()["detail"] == "accepted"
    assert remote.requests == []
    assert await incoming_count(app) == 0


async def test_inbox__blocked_domain_is_dropped(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    async with app.state.communs.db.session() as session:
        session.add(Domain(host="remote.example", block="reject"))
        await session.commit()
    body = encode(activity())
    response = await post(client, body, signed_headers(body))
    assert response.status_code == 202
    assert response.json()["detail"] == "accepted"  # a blocked sender is not told
    assert remote.requests == []
    assert await incoming_count(app) == 0


# ---------------------------------------------------------------------------------------------
# Refused: the body


async def test_inbox__body_over_one_mebibyte_declared(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    document = activity("Create", object={"id": f"{REMOTE}/notes/1", "content": "x" * 1024**2})
    body = encode(document)
    response = await post(client, body, signed_headers(body))
    await assert_refused(app, response, 413)
    assert remote.requests == []


async def test_inbox__body_over_one_mebibyte_streamed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a chunked body (no Content-Length) that grows past the limit
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 64 * 1024

    # When it is streamed to the inbox
    response = await client.post(INBOX_PATH, content=chunks(), headers={"Content-Type": AS2_TYPE})

    # Then reading stops with 413
    await assert_refused(app, response, 413)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"type": "Follow", "id": ', id="truncated-json"),
        pytest.param(b"\xff\xfe not utf-8", id="not-utf8"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deeply-nested"),
        pytest.param(encode([activity()]), id="json-array"),
        pytest.param(encode("Follow"), id="json-string"),
        pytest.param(encode({k: v for k, v in activity().items() if k != "type"}), id="no-type"),
        pytest.param(encode({k: v for k, v in activity().items() if k != "id"}), id="no-id"),
        pytest.param(encode({k: v for k, v in activity().items() if k != "actor"}), id="no-actor"),
        pytest.param(encode(activity() | {"type": ["Follow"]}), id="type-not-string"),
        pytest.param(encode(activity() | {"id": 123}), id="id-number"),
        pytest.param(encode(activity() | {"id": {"id": BOB}}), id="id-object"),
        pytest.param(encode(activity() | {"id": "urn:uuid:1"}), id="id-not-http"),
        pytest.param(encode(activity() | {"id": "https://[remote.example/1"}), id="id-bad-ipv6"),
        pytest.param(encode(activity(actor="https://[::1/users/bob")), id="actor-bad-ipv6"),
        pytest.param(encode(activity(actor=42)), id="actor-number"),
        pytest.param(
            encode(activity() | {"id": f"{REMOTE}/activities/{'a' * 2048}"}), id="id-too-long"
        ),
        pytest.param(encode(activity(actor=f"{BOB}/{'b' * 2048}")), id="actor-too-long"),
    ],
)
async def test_inbox__malformed_body(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer, body: bytes
) -> None:
    response = await post(client, body, signed_headers(body))
    await assert_refused(app, response, 400)
    assert remote.requests == []


# ---------------------------------------------------------------------------------------------
# Refused: the signature


async def test_inbox__unsigned(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    body = encode(activity())
    response = await post(client, body, {"Content-Type": AS2_TYPE})
    await assert_refused(app, response, 401)
    assert remote.requests == []


async def test_inbox__digest_mismatch_with_a_cached_key_fetches_nothing(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob's key is known
    first = encode(activity(number=1))
    assert (await post(client, first, signed_headers(first))).status_code == 202

    # When bob's next request carries another body than the one he signed
    signed_body = encode(activity(number=2))
    sent_body = encode(activity(number=3))
    response = await post(client, sent_body, signed_headers(signed_body))

    # Then it is refused without fetching the key again: no key would make the digest match
    assert response.status_code == 401
    assert "digest_mismatch" in response.json()["detail"]
    assert remote.key_fetches == 1


async def test_inbox__digest_mismatch(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given a signature over one body, sent with another of the same length
    signed_body = encode(activity(number=1))
    sent_body = encode(activity(number=2))
    assert len(signed_body) == len(sent_body)

    response = await post(client, sent_body, signed_headers(signed_body))

    await assert_refused(app, response, 401)
    assert "digest_mismatch" in response.json()["detail"]


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(timedelta(hours=-2), "expired"), (timedelta(hours=2), "future_date")],
    ids=["stale", "future"],
)
async def test_inbox__date_outside_window(
    app: FastAPI,
    client: httpx.AsyncClient,
    remote: RemoteServer,
    offset: timedelta,
    reason: str,
) -> None:
    body = encode(activity())
    headers = signed_headers(body, now=datetime.now(UTC) + offset)
    response = await post(client, body, headers)
    await assert_refused(app, response, 401)
    assert response.json()["detail"].startswith(reason)
    assert remote.requests == []  # refused before any key is fetched


async def test_inbox__unknown_algorithm(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    body = encode(activity())
    headers = hand_signed_headers(
        body, "(request-target) host date digest content-type", algorithm="hmac-sha256"
    )
    response = await post(client, body, headers)
    await assert_refused(app, response, 401)
    assert response.json()["detail"].startswith("unsupported_algorithm")
    assert remote.requests == []


async def test_inbox__signature_not_covering_digest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a valid signature, by bob's key, over (request-target) host date only: the body
    # could be swapped by anyone in the middle
    body = encode(activity())
    headers = hand_signed_headers(body, "(request-target) host date")

    response = await post(client, body, headers)

    await assert_refused(app, response, 401)
    assert response.json()["detail"].startswith("weak_coverage")


async def test_inbox__signed_with_another_key(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    body = encode(activity())
    response = await post(client, body, signed_headers(body, key=OTHER_PRIVATE))
    await assert_refused(app, response, 401)
    assert response.json()["detail"].startswith("bad_signature")
    assert remote.key_fetches == 1


async def test_inbox__signed_with_another_key_once_bobs_key_is_cached(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    # Given bob's key is known
    first = encode(activity(number=1))
    assert (await post(client, first, signed_headers(first))).status_code == 202

    # When a request under bob's keyId is signed with another key
    body = encode(activity(number=2))
    response = await post(client, body, signed_headers(body, key=OTHER_PRIVATE))

    # Then the key is fetched again once (it could have rotated), and the request refused
    assert response.status_code == 401
    assert remote.key_fetches == 2
    assert await incoming_count(app) == 1


async def test_inbox__key_cannot_be_fetched(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    carol = f"{REMOTE}/users/carol"  # remote.example answers 404
    body = encode(activity(actor=carol))
    response = await post(client, body, signed_headers(body, key_id=f"{carol}#main-key"))
    await assert_refused(app, response, 401)
    assert len(remote.requests) == 1


async def test_inbox__signer_is_not_the_actor(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Given bob signs an activity that claims carol as its actor
    body = encode(activity(actor=f"{REMOTE}/users/carol"))

    response = await post(client, body, signed_headers(body))

    await assert_refused(app, response, 401)
    assert response.json()["detail"] == "actor_mismatch: the activity is not signed by its actor"


async def test_inbox__refusals_tell_the_sender_no_detail_of_ours(
    settings: Settings, remote: RemoteServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an instance that refuses private addresses (as in production)
    guarded = settings.model_copy(update={"allow_private_networks": False})
    application = create_app(guarded, transport=httpx.MockTransport(remote.handle))
    async with application.router.lifespan_context(application):
        await create_actor(application, "coop")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as http:
            # When an unauthenticated sender names a key on a host that resolves to loopback
            body = encode(activity())
            headers = signed_headers(body, key_id="https://localhost/users/x#main-key")
            with caplog.at_level(logging.INFO, logger="communs.inbox"):
                response = await post(http, body, headers)

    # Then it learns the key was unusable, not how the name resolves here; the log has it
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "unknown_key: the signature's key could not be obtained from its server"
    )
    assert "127.0.0.1" in caplog.text and "localhost" in caplog.text


# ---------------------------------------------------------------------------------------------
# Refused: origin and routing


async def test_inbox__create_of_object_on_another_host(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    note = {"id": "https://elsewhere.example/notes/1", "type": "Note", "content": "hi"}
    body = encode(activity("Create", object=note))
    response = await post(client, body, signed_headers(body))
    await assert_refused(app, response, 403)


async def test_inbox__activity_id_on_another_host(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = encode(activity() | {"id": "https://elsewhere.example/activities/1"})
    response = await post(client, body, signed_headers(body))
    await assert_refused(app, response, 403)


async def test_inbox__unknown_personal_inbox(
    app: FastAPI, client: httpx.AsyncClient, remote: RemoteServer
) -> None:
    path = "/actors/nobody/inbox"
    body = encode(activity())
    response = await post(client, body, signed_headers(body, path=path), path=path)
    await assert_refused(app, response, 404)
    assert remote.requests == []


# ---------------------------------------------------------------------------------------------
# Property: whatever arrives, the inbox answers with a 4xx or a 202 and stores nothing


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=30),
        st.sampled_from([BOB, COOP, "https://[::1", "http://", f"{REMOTE}/x", "urn:x"]),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    )


_activity_like = st.fixed_dictionaries(
    {},
    optional={
        "id": _json_values(),
        "type": st.sampled_from(["Follow", "Create", "Delete", "Undo", "Update"]) | _json_values(),
        "actor": st.sampled_from([BOB, f"{REMOTE}/users/ghost"]) | _json_values(),
        "object": st.sampled_from([BOB, COOP]) | _json_values(),
    },
).map(encode)

_bodies = st.one_of(st.binary(max_size=300), _activity_like, st.just(encode(activity())))

# Header values as a peer could send them: visible ASCII and obs-text, no CR/LF/NUL.
_header_text = st.binary(max_size=120).map(
    lambda raw: bytes(b for b in raw if b == 0x09 or (b >= 0x20 and b != 0x7F))
)
_key_ids = st.sampled_from(
    [BOB_KEY_ID, f"{REMOTE}/users/ghost#main-key", "https://[::1/k", "urn:x", "", '"']
)
_cavage_signature = st.builds(
    lambda key_id, algorithm, covered, signature, extra: (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{covered}",'
        f'signature="{signature}"{extra}'
    ).encode(),
    _key_ids,
    st.sampled_from(["rsa-sha256", "hs2019", "ed25519", "", "hmac-sha256"]),
    st.sampled_from(
        [
            "(request-target) host date digest content-type",
            "(request-target) host date",
            "(created) (expires) digest",
            "(request-target) (created) digest",
            "date",
            "",
        ]
    ),
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | st.just("%%%"),
    st.sampled_from(["", ",created=1", ",expires=99999999999", ",created=-1", ",created=x"]),
)
_signature_input = st.builds(
    lambda components, key_id, created, alg: (
        f'sig1=({components});keyid="{key_id}";created={created}{alg}'
    ).encode(),
    st.sampled_from(
        [
            '"@method" "@target-uri" "content-digest" "content-type"',
            '"@method" "@target-uri"',
            '"@query-param";name="x"',
            '"@unknown"',
            "",
        ]
    ),
    _key_ids,
    st.sampled_from(
        ["0", "99999999999", "-5", "1.5", '"x"', str(int(datetime.now(UTC).timestamp()))]
    ),
    st.sampled_from(["", ';alg="rsa-v1_5-sha256"', ';alg="ed25519"', ';alg="hmac-sha256"']),
)
# hypothesis bounds are naive; the dates are formatted as GMT by format_datetime
_dates = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)).map(  # noqa: DTZ001
        lambda d: format_datetime(d, usegmt=False).encode()
    ),
    st.just(b"Fri, 31 Dec 9999 23:59:59 GMT"),
    st.just(b"Fri, 31 Dec 9999 23:59:59 -1200"),
    _header_text,
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "Signature": _cavage_signature
        | st.binary(max_size=60).map(lambda b: b"sig1=:" + base64.b64encode(b) + b":")
        | _header_text,
        "Signature-Input": _signature_input | _header_text,
        "Digest": st.sampled_from([b"SHA-256=", b"sha-256=AAAA", b"SHA-512=x,SHA-256=y"])
        | _header_text,
        "Content-Digest": st.sampled_from([b"sha-256=:AAAA:", b"sha-512=:x:"]) | _header_text,
        "Date": _dates,
        "Content-Type": st.just(AS2_TYPE.encode()) | _header_text,
    },
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_bodies, headers=_headers, shared=st.booleans())
@example(
    body=encode(activity()),
    headers={
        "Signature": f'keyId="{BOB_KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="AAAA"'.encode(),
        "Digest": b"SHA-256=AAAA",
        "Date": b"Fri, 31 Dec 9999 23:59:59 GMT",
    },
    shared=False,
)
@example(
    body=encode(activity()),
    headers={
        "Signature": b'keyId="https://[::1/k",headers="(request-target) host date digest",'
        b'algorithm="rsa-sha256",signature="AAAA"',
        "Digest": b"SHA-256=AAAA",
        "Date": format_datetime(datetime.now(UTC), usegmt=True).encode(),
    },
    shared=True,
)
async def test_inbox__arbitrary_requests_never_fail_or_store(
    app: FastAPI,
    client: httpx.AsyncClient,
    body: bytes,
    headers: dict[str, bytes],
    shared: bool,
) -> None:
    path = "/inbox" if shared else INBOX_PATH
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code in (202, 400, 401, 403, 413), response.text
    assert await incoming_count(app) == 0
