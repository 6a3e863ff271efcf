"""Moderation: domain blocks (reject, silence, unblock) and actor suspension; API and CLI.

The remote side is remote.example/bob from ``tests.fakeremote``: his signed activities reach
coop's inbox and the inbox worker processes them, as in ``test_follows``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from schemas.states import DeliveryState, DomainBlock, FollowState
from server.domain.follows import handle_follow
from server.domain.moderation import normalize_host, set_domain_block, suspend_actor
from server.errors import Invalid, NotFound
from server.publishing.outbox import new_activity, publish
from server.publishing.worker import DeliveryWorker
from server.storage.models import Activity, Actor, Delivery, Domain, Follow
from tests.conftest import TEST_BASE_URL
from tests.fakeremote import (  # noqa: F401  (fixtures)
    AS2_TYPE,
    BOB,
    COOP,
    INBOX_PATH,
    REMOTE,
    activity,
    app,
    client,
    deliver_and_process,
    encode,
    remote,
    signed_headers,
)
from tests.server.test_cli import run
from tests.server.test_delivery import add_remote_followers, publish_note
from tests.server.test_follows import coop_token, sent

OTHER_INBOX = "https://other.example/inbox"
ADMIN_PATHS = [
    ("GET", "/api/v1/admin/domains", None),
    ("PUT", "/api/v1/admin/domains/remote.example", {"block": "reject"}),
    ("POST", "/api/v1/admin/actors/coop/suspend", None),
    ("POST", "/api/v1/admin/actors/coop/unsuspend", None),
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def coop(app: FastAPI) -> Actor:
    async with app.state.communs.db.session() as session:
        return (await session.execute(select(Actor).where(Actor.uri == COOP))).scalar_one()


async def follow_pairs(app: FastAPI) -> set[tuple[str, str, str]]:
    """Return every follow as (follower URI, followed URI, state)."""
    async with app.state.communs.db.session() as session:
        rows = await session.execute(select(Follow.follower_id, Follow.followed_id, Follow.state))
        uris = {i: u for i, u in (await session.execute(select(Actor.id, Actor.uri))).all()}
        return {(uris[a], uris[b], state) for a, b, state in rows.all()}


async def deliveries_by_host(app: FastAPI) -> dict[str, list[Delivery]]:
    async with app.state.communs.db.session() as session:
        rows = (await session.execute(select(Delivery).order_by(Delivery.id))).scalars().all()
    found: dict[str, list[Delivery]] = {}
    for row in rows:
        found.setdefault(row.host, []).append(row)
    return found


async def block(app: FastAPI, host: str, level: str) -> Any:
    """Set a block as the admin API does: then the process forgets its cached domain policy."""
    async with app.state.communs.db.session() as session:
        change = await set_domain_block(session, host, level, local_domain="communs.test")
    app.state.communs.federation.store.forget_domains()
    return change


async def home_page(client: httpx.AsyncClient) -> str:
    response = await client.get("/")
    assert response.status_code == 200
    return response.text


# ---------------------------------------------------------------------------------------------
# Host names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Remote.Example", "remote.example"),
        (" remote.example. ", "remote.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("127.0.0.1:8001", "127.0.0.1:8001"),
        ("localhost:080", "localhost:80"),
        ("[::1]:8443", "[::1]:8443"),
    ],
)
def test_normalize_host__accepts_host_and_port(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "https://remote.example",
        "remote.example/users",
        "bob@remote.example",
        "remote example",
        "a..example",
        "-remote.example",
        "under_score.example",
        "x" * 64 + ".example",
        "remote.example:",
        "remote.example:0",
        "remote.example:65536",
        "remote.example:http",
        "[::zz]:80",
        "::1",
    ],
)
def test_normalize_host__refuses_anything_else(given: str) -> None:
    with pytest.raises(Invalid):
        normalize_host(given)


# ---------------------------------------------------------------------------------------------
# reject


async def test_set_domain_block__reject_removes_follows_and_abandons_deliveries(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob follows coop, coop asked to follow bob, and someone on other.example follows coop
    await deliver_and_process(app, client, activity("Follow", number=1))
    auth = bearer(await coop_token(app))
    assert (await client.post("/api/v1/follows", json={"target": BOB}, headers=auth)).is_success
    await add_remote_followers(app, await coop(app), [(OTHER_INBOX, None)])
    # and a publication is waiting to be delivered to both domains
    await publish_note(app, await coop(app))
    pending = await deliveries_by_host(app)
    assert len(pending["remote.example"]) == 3  # Accept, Follow, Create
    # When an admin blocks remote.example (spelled loosely)
    change = await block(app, "Remote.Example", "reject")
    # Then both follows with bob are gone, other.example's is kept
    assert change.host == "remote.example" and change.block == DomainBlock.reject
    assert change.follows_removed == 2 and change.deliveries_abandoned == 3
    assert await follow_pairs(app) == {
        ("https://other.example/users/u0", COOP, FollowState.accepted)
    }
    # and nothing pending remains for remote.example, while other.example's delivery waits
    after = await deliveries_by_host(app)
    assert {(d.state, d.last_error) for d in after["remote.example"]} == {
        (DeliveryState.abandoned, "domain blocked")
    }
    assert [d.state for d in after["other.example"]] == [DeliveryState.pending]
    # and the Domain row records the block
    async with app.state.communs.db.session() as session:
        domain = await session.get(Domain, "remote.example")
    assert domain is not None and domain.block == DomainBlock.reject


async def test_inbox__after_reject_activity_is_accepted_but_not_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob's Follow was processed, then remote.example was blocked
    await deliver_and_process(app, client, activity("Follow", number=1))
    await block(app, "remote.example", "reject")
    async with app.state.communs.db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Activity))
    # When bob sends another signed Follow
    body = encode(activity("Follow", number=2))
    response = await client.post(INBOX_PATH, content=body, headers=signed_headers(body))
    # Then it is answered 202 and nothing is stored
    assert response.status_code == 202, response.text
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Activity)) == stored
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0
    # and a new publication enqueues no delivery to remote.example
    await add_remote_followers(app, await coop(app), [(OTHER_INBOX, None)])
    activity_id = await publish_note(app, await coop(app))
    async with app.state.communs.db.session() as session:
        hosts = (
            await session.execute(select(Delivery.host).where(Delivery.activity_id == activity_id))
        ).scalars()
        assert list(hosts) == ["other.example"]


async def test_set_domain_block__reject_ignores_queued_incoming_activities(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob's Follow is received but not yet processed
    body = encode(activity("Follow", number=1))
    assert (await client.post(INBOX_PATH, content=body, headers=signed_headers(body))).is_success
    # When remote.example is blocked before the worker runs
    await block(app, "remote.example", "reject")
    # Then the queued activity is ignored, and processing it creates no follow
    async with app.state.communs.db.session() as session:
        queued = (
            await session.execute(select(Activity).where(Activity.direction == "in"))
        ).scalar_one()
    assert queued.state == "ignored" and queued.error == "domain blocked"
    assert await follow_pairs(app) == set()


async def test_set_domain_block__unblock_restores_following_and_delivery(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given remote.example was blocked, then unblocked
    await block(app, "remote.example", "reject")
    change = await block(app, "remote.example", "none")
    assert change.block == DomainBlock.none
    # When bob follows coop
    await deliver_and_process(app, client, activity("Follow", number=1))
    # Then he is accepted and a publication is delivered to remote.example again
    assert await follow_pairs(app) == {(BOB, COOP, FollowState.accepted)}
    activity_id = await publish_note(app, await coop(app))
    async with app.state.communs.db.session() as session:
        hosts = (
            await session.execute(select(Delivery.host).where(Delivery.activity_id == activity_id))
        ).scalars()
        assert list(hosts) == ["remote.example"]


async def test_set_domain_block__refuses_own_domain_and_bad_values(app: FastAPI) -> None:
    with pytest.raises(Invalid):
        await block(app, "Communs.Test", "reject")
    with pytest.raises(Invalid, match="nor a domain it belongs to"):
        await block(app, "test", "silence")  # would cover communs.test
    with pytest.raises(Invalid):
        await block(app, "remote.example", "banana")
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Domain)) == 0


# ---------------------------------------------------------------------------------------------
# silence


async def test_set_domain_block__silence_hides_actors_and_holds_follows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given remote.example is silenced
    await block(app, "remote.example", "silence")
    # When bob asks to follow coop (who approves followers automatically)
    await deliver_and_process(app, client, activity("Follow", number=1))
    # Then the request waits for approval, with no Accept sent
    assert await follow_pairs(app) == {(BOB, COOP, FollowState.pending)}
    assert await sent(app, "Accept") == []
    # and bob is not in the directory, while coop is
    page = await home_page(client)
    assert "@coop@communs.test" in page and "@bob@remote.example" not in page
    # When the silence is lifted and bob asks again
    await block(app, "remote.example", "none")
    await deliver_and_process(app, client, activity("Follow", number=2))
    # Then he is accepted and listed
    assert await follow_pairs(app) == {(BOB, COOP, FollowState.accepted)}
    assert len(await sent(app, "Accept")) == 1
    assert "@bob@remote.example" in await home_page(client)


async def test_set_domain_block__silence_keeps_existing_follows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await deliver_and_process(app, client, activity("Follow", number=1))
    change = await block(app, "remote.example", "silence")
    assert change.follows_removed == 0 and change.deliveries_abandoned == 0
    assert await follow_pairs(app) == {(BOB, COOP, FollowState.accepted)}
    assert [d.state for d in (await deliveries_by_host(app))["remote.example"]] == ["pending"]


# ---------------------------------------------------------------------------------------------
# Suspension


async def test_suspend_actor__refuses_writes_marks_document_and_rejects_follows(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    # Given coop has a read/write token
    auth = bearer(await coop_token(app))
    # When an admin suspends coop
    response = await client.post("/api/v1/admin/actors/coop/suspend", headers=bearer(admin_token))
    assert response.status_code == 200, response.text
    assert response.json()["is_suspended"] is True and response.json()["uri"] == COOP
    # Then its API writes are refused, its reads still answer
    patch = await client.patch("/api/v1/actors/coop", json={"region": "Bretagne"}, headers=auth)
    assert patch.status_code == 403 and patch.json() == {"detail": "this actor is suspended"}
    follow = await client.post("/api/v1/follows", json={"target": BOB}, headers=auth)
    assert follow.status_code == 403
    assert (await client.get("/api/v1/follows", headers=auth)).status_code == 200
    # and its AS2 document says so, with the term defined in its context
    document = (await client.get("/actors/coop", headers={"Accept": AS2_TYPE})).json()
    assert document["suspended"] is True
    assert any(isinstance(c, dict) and c.get("suspended") for c in document["@context"])
    # and it is left out of the directory
    assert "@coop@communs.test" not in await home_page(client)
    # and a remote Follow gets Reject
    await deliver_and_process(app, client, activity("Follow", number=1))
    assert await follow_pairs(app) == set()
    [(reject, _)] = await sent(app, "Reject")
    assert reject["object"]["id"] == f"{REMOTE}/activities/1"


async def test_unsuspend_actor__restores_writes_document_and_listing(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    auth = bearer(await coop_token(app))
    async with app.state.communs.db.session() as session:
        first = await suspend_actor(session, "coop")
        again = await suspend_actor(session, "coop")
    assert again.suspended_at == first.suspended_at  # suspending twice keeps the first time
    response = await client.post("/api/v1/admin/actors/coop/unsuspend", headers=bearer(admin_token))
    assert response.status_code == 200 and response.json()["suspended_at"] is None
    patch = await client.patch("/api/v1/actors/coop", json={"region": "Bretagne"}, headers=auth)
    assert patch.status_code == 200
    document = (await client.get("/actors/coop", headers={"Accept": AS2_TYPE})).json()
    assert "suspended" not in document
    assert "@coop@communs.test" in await home_page(client)


async def test_suspend_actor__unknown_username(app: FastAPI) -> None:
    async with app.state.communs.db.session() as session:
        with pytest.raises(NotFound):
            await suspend_actor(session, "nobody")


# ---------------------------------------------------------------------------------------------
# Admin API


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_PATHS)
async def test_admin_api__requires_admin_scope(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    plain = await coop_token(app)
    missing = await client.request(method, path, json=body)
    assert missing.status_code == 401 and isinstance(missing.json()["detail"], str)
    denied = await client.request(method, path, json=body, headers=bearer(plain))
    assert denied.status_code == 403 and isinstance(denied.json()["detail"], str)
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Domain)) == 0
    assert (await coop(app)).suspended_at is None


async def test_admin_api__sets_and_lists_domains(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    # Given one domain silenced and one blocked through the API
    auth = bearer(admin_token)
    silenced = await client.put(
        "/api/v1/admin/domains/Loud.Example", json={"block": "silence"}, headers=auth
    )
    assert silenced.status_code == 200 and silenced.json()["host"] == "loud.example"
    blocked = await client.put(
        "/api/v1/admin/domains/127.0.0.1:8001", json={"block": "reject"}, headers=auth
    )
    assert blocked.status_code == 200
    assert blocked.json()["follows_removed"] == 0 and blocked.json()["block"] == "reject"
    # Then both are listed, by host
    listed = (await client.get("/api/v1/admin/domains", headers=auth)).json()
    assert [(d["host"], d["block"]) for d in listed] == [
        ("127.0.0.1:8001", "reject"),
        ("loud.example", "silence"),
    ]
    # When one is unblocked, it leaves the list
    await client.put("/api/v1/admin/domains/loud.example", json={"block": "none"}, headers=auth)
    listed = (await client.get("/api/v1/admin/domains", headers=auth)).json()
    assert [d["host"] for d in listed] == ["127.0.0.1:8001"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/admin/domains/remote.example", {"block": "banana"}),
        ("/api/v1/admin/domains/remote.example", {"block": "reject", "extra": 1}),
        ("/api/v1/admin/domains/remote.example", {}),
        ("/api/v1/admin/domains/bad_host!", {"block": "reject"}),
        ("/api/v1/admin/domains/remote.example:99999", {"block": "reject"}),
        ("/api/v1/admin/domains/communs.test", {"block": "reject"}),
    ],
)
async def test_admin_api__invalid_input_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str, path: str, body: Any
) -> None:
    response = await client.put(path, json=body, headers=bearer(admin_token))
    assert response.status_code == 422 and "detail" in response.json()
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Domain)) == 0


async def test_admin_api__unknown_actor_is_404(client: httpx.AsyncClient, admin_token: str) -> None:
    response = await client.post("/api/v1/admin/actors/nobody/suspend", headers=bearer(admin_token))
    assert response.status_code == 404 and response.json() == {
        "detail": "no local actor named 'nobody'"
    }


# ---------------------------------------------------------------------------------------------
# CLI


async def test_cli__domain_and_actor_moderation(
    database_url: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given bob follows coop
    await deliver_and_process(app, client, activity("Follow", number=1))
    env = {"COMMUNS_DATABASE_URL": database_url, "COMMUNS_BASE_URL": TEST_BASE_URL}
    # When an admin silences, then blocks remote.example
    silenced = run("domain", "silence", "Remote.Example", **env)
    assert silenced.returncode == 0, silenced.stderr
    assert silenced.stdout.splitlines() == ["remote.example: silenced"]
    blocked = run("domain", "block", "remote.example", **env)
    assert blocked.returncode == 0, blocked.stderr
    # Then bob's follow is gone and the Accept to him abandoned
    assert blocked.stdout.splitlines() == [
        "remote.example: blocked (1 follows removed, 1 deliveries abandoned)"
    ]
    assert await follow_pairs(app) == set()
    unblocked = run("domain", "unblock", "remote.example", **env)
    assert unblocked.stdout.splitlines() == ["remote.example: unblocked"]
    async with app.state.communs.db.session() as session:
        domain = await session.get(Domain, "remote.example")
        assert domain is not None
        await session.refresh(domain)
        assert domain.block == DomainBlock.none
    # When an admin suspends coop, then lifts it
    suspended = run("actor", "suspend", "coop", **env)
    assert suspended.returncode == 0 and suspended.stdout.splitlines() == ["coop: suspended"]
    assert (await coop(app)).suspended_at is not None
    lifted = run("actor", "unsuspend", "coop", **env)
    assert lifted.stdout.splitlines() == ["coop: no longer suspended"]
    assert (await coop(app)).suspended_at is None


@pytest.mark.parametrize(
    "args",
    [
        ("domain", "block", "https://remote.example/"),
        ("domain", "silence", "a..b"),
        ("domain", "block", "communs.test"),
        ("actor", "suspend", "nobody"),
        ("actor", "unsuspend", "nobody"),
    ],
)
async def test_cli__moderation_bad_input_is_one_line(
    database_url: str, app: FastAPI, args: tuple[str, ...]
) -> None:
    result = run(*args, COMMUNS_DATABASE_URL=database_url)
    assert result.returncode != 0 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("communs: ")
    async with app.state.communs.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Domain)) == 0


# ---------------------------------------------------------------------------------------------
# subdomains


SUB = "https://social.remote.example/users/u0"
SUB_INBOX = "https://social.remote.example/inbox"
LOOKALIKE_INBOX = "https://otherremote.example/inbox"


async def follow_from(app: FastAPI, follower: str, number: int) -> str:
    """Process a Follow of coop by ``follower`` (a stored remote actor); return the outcome."""
    state = app.state.communs
    follow = {
        "id": f"{follower}#follows/{number}",
        "type": "Follow",
        "actor": follower,
        "object": COOP,
    }
    async with state.db.session() as session:
        return await handle_follow(session, state.urls, follow)


async def test_set_domain_block__reject_covers_subdomains_not_lookalikes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given followers on a subdomain of remote.example and on a look-alike domain
    coop_actor = await coop(app)
    await add_remote_followers(app, coop_actor, [(SUB_INBOX, None), (LOOKALIKE_INBOX, None)])
    await publish_note(app, coop_actor)
    # When an admin blocks remote.example
    change = await block(app, "remote.example", "reject")
    # Then the subdomain's follow is gone and its pending delivery abandoned; the other stays
    assert change.follows_removed == 1 and change.deliveries_abandoned == 1
    assert await follow_pairs(app) == {
        ("https://otherremote.example/users/u1", COOP, FollowState.accepted)
    }
    after = await deliveries_by_host(app)
    assert [d.state for d in after["social.remote.example"]] == [DeliveryState.abandoned]
    assert [d.state for d in after["otherremote.example"]] == [DeliveryState.pending]
    # and the inbox refuses the subdomain's signers, on any port, but not the look-alike's
    store = app.state.communs.federation.store
    assert await store.is_blocked("social.remote.example")
    assert await store.is_blocked("social.remote.example:8443")
    assert not await store.is_blocked("otherremote.example")
    # and a Follow from the subdomain is rejected
    assert await follow_from(app, SUB, 1) == "rejected"
    # and nothing new is sent to the subdomain, even to its inbox named directly
    async with app.state.communs.db.session() as session:
        document = new_activity(app.state.communs.urls, "Update", coop_actor, {"id": COOP})
        activity_row = await publish(session, coop_actor, document, inboxes=[SUB_INBOX])
        await session.commit()
        hosts = await session.execute(
            select(Delivery.host).where(Delivery.activity_id == activity_row.id)
        )
        assert hosts.scalars().all() == []


async def test_set_domain_block__silence_covers_subdomains(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor on a subdomain of a silenced domain
    await add_remote_followers(app, await coop(app), [(SUB_INBOX, None)])
    async with app.state.communs.db.session() as session:
        await session.execute(delete(Follow))
        await session.commit()
    await block(app, "remote.example", "silence")
    # When it asks to follow coop
    outcome = await follow_from(app, SUB, 1)
    # Then the request waits for approval, and the actor is not listed
    assert outcome != "rejected"
    assert await follow_pairs(app) == {(SUB, COOP, FollowState.pending)}
    assert "social.remote.example" not in await home_page(client)


async def test_worker__abandons_deliveries_that_raced_a_block_subdomains_included(
    app: FastAPI,
) -> None:
    # Given a publication whose deliveries were queued while remote.example was being blocked
    coop_actor = await coop(app)
    await add_remote_followers(app, coop_actor, [(LOOKALIKE_INBOX, None)])
    activity_id = await publish_note(app, coop_actor)
    await block(app, "remote.example", "reject")
    raced = ["https://remote.example:8443/inbox", SUB_INBOX]
    async with app.state.communs.db.session() as session:
        for inbox in raced:
            host = httpx.URL(inbox).netloc.decode()
            session.add(Delivery(activity_id=activity_id, inbox_uri=inbox, host=host))
        await session.commit()
    received: list[str] = []

    def inbox(request: httpx.Request) -> httpx.Response:
        received.append(str(request.url))
        return httpx.Response(202)

    # When the delivery worker runs
    worker = DeliveryWorker(app.state.communs.db, httpx.MockTransport(inbox))
    await worker.run_once()

    # Then only the look-alike domain got its POST; the raced rows are abandoned, unsent
    assert received == [LOOKALIKE_INBOX]
    after = await deliveries_by_host(app)
    for host in ("remote.example:8443", "social.remote.example"):
        assert [(d.state, d.last_error, d.attempts) for d in after[host]] == [
            (DeliveryState.abandoned, "domain blocked", 0)
        ]
