"""A worker writes to a delivery only while the row is under the lease it claimed it with."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from schemas.states import DeliveryState
from server.clock import FrozenClock
from server.domain.moderation import set_domain_block
from server.publishing.worker import DeliveryWorker
from server.storage.queues import POLL_SECONDS
from tests.conftest import create_actor
from tests.server.test_delivery import (
    RecordingInboxes,
    add_remote_followers,
    deliveries,
    publish_note,
)

INBOX = "https://r.example/inbox"


async def test_worker__a_lease_that_ran_out_is_neither_given_back_nor_overwritten(
    app: FastAPI,
) -> None:
    # Given one due delivery, claimed by a first worker whose lease then ran out (a process
    # frozen for minutes), and claimed anew by a second worker
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [(INBOX, None)])
    await publish_note(app, actor)
    db, clock = app.state.communs.db, FrozenClock()
    gone = httpx.MockTransport(RecordingInboxes({INBOX: [410]}))
    first = DeliveryWorker(db, gone, clock=clock)
    second = DeliveryWorker(db, httpx.MockTransport(RecordingInboxes({})), clock=clock)
    [stale] = await first._claim(1)
    clock.advance(first.lease + timedelta(seconds=1))
    [taken] = await second._claim(1)

    # When the first wakes up: it gives its lease back and records its send (a 410)
    await first._release([stale])
    await first._send(*stale)
    await first._flush()

    # Then the row is still the second worker's, pending
    row = (await deliveries(app))[INBOX]
    assert row.state == DeliveryState.pending
    assert row.locked_until == taken.locked_until != stale.locked_until

    # And the second worker's outcome is the one recorded
    await second._send(*taken)
    await second._flush()
    row = (await deliveries(app))[INBOX]
    assert (row.state, row.locked_until) == (DeliveryState.delivered, None)


async def test_worker__a_send_in_flight_when_its_domain_is_blocked_stays_abandoned(
    app: FastAPI,
) -> None:
    # Given a delivery being sent to r.example, slowly
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [(INBOX, None)])
    await publish_note(app, actor)
    started, gate = asyncio.Event(), asyncio.Event()

    async def slow_inbox(request: httpx.Request) -> httpx.Response:
        started.set()
        await gate.wait()
        return httpx.Response(202)

    worker = DeliveryWorker(app.state.communs.db, httpx.MockTransport(slow_inbox))
    sending = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(started.wait(), 10)

    # When an admin rejects r.example meanwhile, and then the send is answered 202
    async with app.state.communs.db.session() as session:
        change = await set_domain_block(session, "r.example", "reject", local_domain="communs.test")
    assert change.deliveries_abandoned == 1
    gate.set()
    assert await asyncio.wait_for(sending, 10) == 1

    # Then the block's "abandoned" stands: the answer came under a lease the block took away
    row = (await deliveries(app))[INBOX]
    assert (row.state, row.last_error) == (DeliveryState.abandoned, "domain blocked")


async def reject_during_a_slow_send(app: FastAPI, inboxes: list[str], **options: int) -> list[str]:
    """Run a worker on one publication to ``inboxes``; reject remote.example while the first
    send waits for its answer, answer it once the worker has had a poll interval to see the
    block, and return the inboxes POSTed to."""
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [(inbox, None) for inbox in inboxes])
    await publish_note(app, actor)
    received: list[str] = []
    started, gate = asyncio.Event(), asyncio.Event()

    async def inbox(request: httpx.Request) -> httpx.Response:
        received.append(str(request.url))
        started.set()
        await gate.wait()
        return httpx.Response(202)

    db = app.state.communs.db
    worker = DeliveryWorker(db, httpx.MockTransport(inbox), **options)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(started.wait(), 10)
    async with db.session() as session:
        await set_domain_block(session, "remote.example", "reject", local_domain="communs.test")
    await asyncio.sleep(POLL_SECONDS * 2)
    gate.set()
    await asyncio.sleep(POLL_SECONDS * 2)
    stop.set()
    await asyncio.wait_for(running, 10)
    return received


async def test_worker__backlog_rows_of_a_domain_blocked_after_the_claim_are_not_sent(
    app: FastAPI,
) -> None:
    # Given five deliveries to subdomains of remote.example, all claimed by a worker that
    # sends one at a time, the first of them slowly
    inboxes = [f"https://r{n}.remote.example/inbox" for n in range(5)]

    # When remote.example is rejected while four rows wait in the worker's backlog
    received = await reject_during_a_slow_send(app, inboxes, concurrency=1, prefetch=5)

    # Then nothing more was sent, and all five stay abandoned
    assert len(received) == 1
    rows = (await deliveries(app)).values()
    assert {(d.state, d.last_error) for d in rows} == {(DeliveryState.abandoned, "domain blocked")}


async def test_worker__a_send_waiting_for_its_host_slot_when_the_host_is_blocked_is_not_sent(
    app: FastAPI,
) -> None:
    # Given two deliveries to one host, and a worker allowing one send per host at a time:
    # the second waits for the first, which is slow
    inboxes = [f"https://remote.example/users/u{n}/inbox" for n in range(2)]

    # When the host is rejected meanwhile
    received = await reject_during_a_slow_send(app, inboxes, host_concurrency=1)

    # Then the waiting send never went out
    assert len(received) == 1
    rows = (await deliveries(app)).values()
    assert {(d.state, d.last_error) for d in rows} == {(DeliveryState.abandoned, "domain blocked")}
