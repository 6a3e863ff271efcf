"""Publishing fans out set-wise; the worker delivers and retries as Mastodon does."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from federation.httpsig import verify_request
from federation.keys import load_public_key
from schemas.states import DeliveryState, FollowState
from server.clock import FrozenClock, utcnow
from server.publishing.outbox import new_activity, publish
from server.publishing.worker import DeliveryWorker
from server.storage.models import Actor, Delivery, Follow
from tests.conftest import create_actor


class RecordingInboxes:
    """Remote inboxes that answer from a script per inbox, then 202; records every POST."""

    def __init__(self, scripts: dict[str, list[Any]]) -> None:
        self.scripts = scripts
        self.received: dict[str, list[httpx.Request]] = defaultdict(list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        inbox = str(request.url)
        self.received[inbox].append(request)
        script = self.scripts.get(inbox, [])
        answer = script.pop(0) if script else 202
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, tuple):
            return httpx.Response(answer[0], headers=answer[1])
        return httpx.Response(answer)


async def add_remote_followers(
    app: FastAPI, followed: Actor, inboxes: list[tuple[str, str | None]]
) -> None:
    async with app.state.communs.db.session() as session:
        for n, (inbox, shared) in enumerate(inboxes):
            host = httpx.URL(inbox).host
            remote = Actor(
                uri=f"https://{host}/users/u{n}",
                username=f"u{n}",
                domain=host,
                type="Person",
                inbox_uri=inbox,
                shared_inbox_uri=shared,
            )
            session.add(remote)
            await session.flush()
            session.add(
                Follow(
                    uri=f"https://{host}/follows/{n}",
                    follower_id=remote.id,
                    followed_id=followed.id,
                    state=FollowState.accepted,
                )
            )
        await session.commit()


async def publish_note(app: FastAPI, actor: Actor) -> str:
    state = app.state.communs
    async with state.db.session() as session:
        document = new_activity(
            state.urls,
            "Create",
            actor,
            {"type": "Note", "content": "hi"},
            to=["https://www.w3.org/ns/activitystreams#Public"],
        )
        activity = await publish(session, actor, document, to_followers=True)
        await session.commit()
        return activity.id


async def deliveries(app: FastAPI) -> dict[str, Delivery]:
    async with app.state.communs.db.session() as session:
        rows = (await session.execute(select(Delivery))).scalars().all()
    return {d.inbox_uri: d for d in rows}


async def test_publish__one_delivery_per_distinct_inbox(app: FastAPI) -> None:
    # Given followers on three servers, two of them behind one shared inbox
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app,
        actor,
        [
            ("https://a.example/users/u0/inbox", "https://a.example/inbox"),
            ("https://a.example/users/u1/inbox", "https://a.example/inbox"),
            ("https://b.example/users/u2/inbox", None),
        ],
    )
    # When the actor publishes
    await publish_note(app, actor)
    # Then each distinct inbox gets exactly one delivery, shared inbox preferred
    assert sorted(await deliveries(app)) == [
        "https://a.example/inbox",
        "https://b.example/users/u2/inbox",
    ]


async def test_publish__skips_blocked_and_unavailable_domains(app: FastAPI) -> None:
    from server.storage.models import Domain

    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app,
        actor,
        [
            ("https://a.example/inbox", None),
            ("https://b.example/inbox", None),
            ("https://c.example/inbox", None),
        ],
    )
    async with app.state.communs.db.session() as session:
        session.add(Domain(host="a.example", block="reject"))
        session.add(Domain(host="b.example", is_unavailable=True))
        await session.commit()
    await publish_note(app, actor)
    assert sorted(await deliveries(app)) == ["https://c.example/inbox"]


async def test_worker__retries_until_delivered_and_drops_permanent_failures(app: FastAPI) -> None:
    # Given inboxes that fail in every retryable way first, and two that refuse for good
    actor, _ = await create_actor(app, "coop")
    scripts: dict[str, list[Any]] = {
        "https://e500.example/inbox": [500, 503],
        "https://slow.example/inbox": [httpx.ReadTimeout("slow")],
        "https://busy.example/inbox": [(429, {"Retry-After": "3600"})],
        "https://down.example/inbox": [httpx.ConnectError("refused")],
        "https://gone.example/inbox": [410],
        "https://missing.example/inbox": [404],
        "https://ok.example/inbox": [],
    }
    await add_remote_followers(app, actor, [(inbox, None) for inbox in scripts])
    inboxes = RecordingInboxes({k: list(v) for k, v in scripts.items()})
    clock = FrozenClock()
    transport = httpx.MockTransport(inboxes)
    worker = DeliveryWorker(app.state.communs.db, transport, clock=clock)
    await publish_note(app, actor)

    # When the worker runs, time passes, and it runs again until nothing is due
    for _ in range(6):
        await worker.run_once()
        clock.advance(timedelta(hours=2))

    # Then every retryable delivery ended delivered, with the expected number of attempts
    rows = await deliveries(app)
    expected = {"e500": 3, "slow": 2, "busy": 2, "down": 2, "ok": 1}
    for host, attempts in expected.items():
        row = rows[f"https://{host}.example/inbox"]
        assert (row.state, row.attempts) == (DeliveryState.delivered, attempts), host
    # And 404/410 failed at once, never retried
    for host in ("gone", "missing"):
        row = rows[f"https://{host}.example/inbox"]
        assert (row.state, row.attempts) == (DeliveryState.failed, 1), host
        assert len(inboxes.received[f"https://{host}.example/inbox"]) == 1


async def test_worker__honours_retry_after(app: FastAPI) -> None:
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [("https://busy.example/inbox", None)])
    inboxes = RecordingInboxes({"https://busy.example/inbox": [(429, {"Retry-After": "7200"})]})
    await publish_note(app, actor)
    clock = FrozenClock()
    transport = httpx.MockTransport(inboxes)
    worker = DeliveryWorker(app.state.communs.db, transport, clock=clock)
    assert await worker.run_once() == 1
    clock.advance(timedelta(hours=1))
    assert await worker.run_once() == 0  # not due yet: Retry-After says two hours
    clock.advance(timedelta(hours=1, minutes=1))
    assert await worker.run_once() == 1
    assert (await deliveries(app))["https://busy.example/inbox"].state == DeliveryState.delivered


async def test_worker__sends_the_stored_bytes_signed(app: FastAPI) -> None:
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [("https://ok.example/inbox", None)])
    inboxes = RecordingInboxes({})
    transport = httpx.MockTransport(inboxes)
    await publish_note(app, actor)
    await DeliveryWorker(app.state.communs.db, transport).run_once()
    [request] = inboxes.received["https://ok.example/inbox"]
    assert request.headers["content-type"] == "application/activity+json"
    assert (
        'headers="(request-target) host date digest content-type"' in request.headers["signature"]
    )
    verification = verify_request(
        method="POST",
        url=str(request.url),
        headers=request.headers,
        body=request.content,
        public_key=load_public_key(actor.public_key_pem),
        now=utcnow(),
    )
    assert verification.ok, verification


async def test_worker__seven_failure_days_make_a_host_unavailable(app: FastAPI) -> None:
    from server.storage.models import Domain

    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [("https://down.example/inbox", None)])
    inboxes = RecordingInboxes({"https://down.example/inbox": [500] * 20})
    clock = FrozenClock()
    transport = httpx.MockTransport(inboxes)
    worker = DeliveryWorker(app.state.communs.db, transport, clock=clock)
    await publish_note(app, actor)
    for _ in range(8):
        await worker.run_once()
        clock.advance(timedelta(days=1))
        async with app.state.communs.db.session() as session:
            await session.execute(
                Delivery.__table__.update().values(
                    next_attempt_at=clock.now() - timedelta(seconds=1)
                )
            )
            await session.commit()
    async with app.state.communs.db.session() as session:
        domain = await session.get(Domain, "down.example")
    assert domain is not None and domain.is_unavailable and len(domain.failure_days) >= 7


@pytest.mark.parametrize("status", [401, 408, 429, 500, 502, 503])
def test_classify_status__retryable(status: int) -> None:
    from federation.retry import classify_status

    assert classify_status(status) == "retry"


async def test_worker__idle_probe_sees_only_what_a_claim_would_take(app: FastAPI) -> None:
    # Given a worker and an empty queue: the probe (a read) finds nothing
    actor, _ = await create_actor(app, "coop")
    clock = FrozenClock()
    worker = DeliveryWorker(
        app.state.communs.db, httpx.MockTransport(RecordingInboxes({})), clock=clock
    )
    assert await worker._anything_due() is False

    # When a publication enqueues a delivery, the probe sees it
    await add_remote_followers(app, actor, [("https://a.example/inbox", None)])
    await publish_note(app, actor)
    clock.at = utcnow()
    assert await worker._anything_due() is True

    # And once another worker holds its lease, it does not, until the lease ends
    other = DeliveryWorker(
        app.state.communs.db, httpx.MockTransport(RecordingInboxes({})), clock=clock
    )
    assert len(await other._claim(10)) == 1
    assert await worker._anything_due() is False
    clock.advance(timedelta(hours=1))
    assert await worker._anything_due() is True


async def test_worker__claims_ahead_and_gives_back_unsent_leases_at_stop(app: FastAPI) -> None:
    # Given ten due deliveries and a worker sending two at a time, prefetching six
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app, actor, [(f"https://r{n}.example/inbox", None) for n in range(10)]
    )
    await publish_note(app, actor)
    gate, two_sent = asyncio.Event(), asyncio.Event()
    started: list[str] = []

    async def slow_inbox(request: httpx.Request) -> httpx.Response:
        started.append(str(request.url))
        if len(started) == 2:
            two_sent.set()
        await gate.wait()
        return httpx.Response(202)

    db = app.state.communs.db
    worker = DeliveryWorker(db, httpx.MockTransport(slow_inbox), concurrency=2, prefetch=6)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    # When two sends are in flight, six rows are leased: one claim took a round ahead
    await asyncio.wait_for(two_sent.wait(), 10)
    leased = [d for d in (await deliveries(app)).values() if d.locked_until is not None]
    assert len(leased) == 6

    # And when the worker stops, the sends in flight finish and the four unsent leases end
    stop.set()
    gate.set()
    await asyncio.wait_for(running, 10)
    rows = (await deliveries(app)).values()
    assert sorted(d.state for d in rows).count(DeliveryState.delivered) == 2
    assert all(d.locked_until is None for d in rows)

    # Then another worker takes the eight left at once, without waiting for a lease to run out
    other = DeliveryWorker(db, httpx.MockTransport(RecordingInboxes({})))
    assert await other.run_once() == 8


async def test_worker__sends_at_most_host_concurrency_to_one_host_and_forgets_it_after(
    app: FastAPI,
) -> None:
    # Given six followers on one host and two on another, and a worker allowing two per host
    actor, _ = await create_actor(app, "coop")
    inboxes = [f"https://busy.example/users/u{n}/inbox" for n in range(6)]
    inboxes += [f"https://quiet{n}.example/inbox" for n in range(2)]
    await add_remote_followers(app, actor, [(inbox, None) for inbox in inboxes])
    await publish_note(app, actor)
    running: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)

    async def inbox(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        running[host] += 1
        most[host] = max(most[host], running[host])
        await asyncio.sleep(0.02)
        running[host] -= 1
        return httpx.Response(202)

    worker = DeliveryWorker(
        app.state.communs.db, httpx.MockTransport(inbox), concurrency=8, host_concurrency=2
    )

    # When it sends everything
    assert await worker.run_once() == 8

    # Then the busy host never had more than two at once, and no host is remembered after
    assert most["busy.example"] == 2
    assert len(worker.hosts) == 0
    assert {d.state for d in (await deliveries(app)).values()} == {DeliveryState.delivered}


async def test_worker__backlog_row_older_than_half_its_lease_is_released_not_sent_late(
    app: FastAPI,
) -> None:
    # Given five deliveries, a worker sending one at a time (0.4 s each) with a 1.2 s lease,
    # and a second worker waiting for leases to run out
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app, actor, [(f"https://r{n}.example/inbox", None) for n in range(5)]
    )
    await publish_note(app, actor)
    received: list[str] = []
    all_in = asyncio.Event()

    async def slow_inbox(request: httpx.Request) -> httpx.Response:
        received.append(str(request.url))
        await asyncio.sleep(0.4)
        if len(set(received)) == 5:
            all_in.set()
        return httpx.Response(202)

    db, lease = app.state.communs.db, timedelta(seconds=1.2)
    transport = httpx.MockTransport(slow_inbox)
    first = DeliveryWorker(db, transport, concurrency=1, prefetch=5, lease=lease)
    second = DeliveryWorker(db, transport, concurrency=1, lease=lease)
    stop = asyncio.Event()
    workers = [asyncio.create_task(w.run(stop)) for w in (first, second)]

    # When the first worker claims all five: the fifth would start at 1.6 s, past its lease
    await asyncio.wait_for(all_in.wait(), 10)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*workers), 10)

    # Then it gave the waiting rows back and they were claimed anew: one POST per inbox
    assert sorted(received) == sorted(set(received)) and len(received) == 5
    assert {d.state for d in (await deliveries(app)).values()} == {DeliveryState.delivered}


async def test_worker__survives_a_failed_claim_and_looks_again(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a due delivery, and a database that fails the worker's first claim
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [("https://a.example/inbox", None)])
    await publish_note(app, actor)
    inboxes = RecordingInboxes({})
    worker = DeliveryWorker(app.state.communs.db, httpx.MockTransport(inboxes))
    claim, failures = worker._claim, []

    async def flaky_claim(limit: int) -> list[Any]:
        if not failures:
            failures.append(limit)
            raise OSError("database restarting")
        return await claim(limit)

    monkeypatch.setattr(worker, "_claim", flaky_claim)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    # When the worker runs on past the failure
    for _ in range(100):
        if inboxes.received:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 10)

    # Then it logged, looked again and delivered
    assert failures and list(inboxes.received) == ["https://a.example/inbox"]


async def test_worker__takes_new_work_while_a_slow_send_is_in_flight(app: FastAPI) -> None:
    # Given a worker busy with one slow send (3 s)
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [("https://slow.example/inbox", None)])
    await publish_note(app, actor)
    slow_started, fast_done = asyncio.Event(), asyncio.Event()

    async def inbox(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.example":
            slow_started.set()
            await asyncio.sleep(3)
        else:
            fast_done.set()
        return httpx.Response(202)

    worker = DeliveryWorker(app.state.communs.db, httpx.MockTransport(inbox))
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(slow_started.wait(), 10)

    # When a new publication is queued and the worker woken
    await add_remote_followers(app, actor, [("https://fast.example/inbox", None)])
    await publish_note(app, actor)
    worker.wake.set()

    # Then its delivery goes out before the slow one ends
    await asyncio.wait_for(fast_done.wait(), 2)
    stop.set()
    await asyncio.wait_for(running, 10)


async def test_worker__records_outcomes_within_the_lease_while_sends_go_on(app: FastAPI) -> None:
    # Given a worker with a 0.8 s lease, one send that takes 3 s and one that is quick
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(
        app, actor, [("https://slow.example/inbox", None), ("https://quick.example/inbox", None)]
    )
    await publish_note(app, actor)

    async def inbox(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.example":
            await asyncio.sleep(3)
        return httpx.Response(202)

    worker = DeliveryWorker(
        app.state.communs.db, httpx.MockTransport(inbox), lease=timedelta(seconds=0.8)
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    # When the quick one is answered, while the slow one still runs
    await asyncio.sleep(0.7)
    states = {url: d.state for url, d in (await deliveries(app)).items()}
    stop.set()
    await asyncio.wait_for(running, 10)

    # Then its outcome is already written: its lease cannot run out unrecorded
    assert states["https://quick.example/inbox"] == DeliveryState.delivered
    assert states["https://slow.example/inbox"] == DeliveryState.pending
