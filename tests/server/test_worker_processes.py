"""Worker processes: a SIGKILL loses nothing, and two workers never send the same delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from schemas.states import DeliveryState, FollowState
from server.publishing.outbox import new_activity, publish
from server.storage.models import Actor, Delivery, Follow
from tests.conftest import create_actor
from tests.realservers import RecordingInbox, bound_socket, recording_inbox

pytestmark = pytest.mark.slow

COMMUNS = str(Path(sys.executable).parent / "communs")
TIMEOUT = 60.0


def start_worker(
    database_url: str, *, concurrency: int, log: Path, log_level: str = "warning"
) -> subprocess.Popen[bytes]:
    """Start ``communs worker`` as its own process; its stderr goes to ``log``."""
    env = {
        **os.environ,
        "COMMUNS_DATABASE_URL": database_url,
        "COMMUNS_BASE_URL": "http://communs.test",
        "COMMUNS_ALLOW_PRIVATE_NETWORKS": "true",
        "COMMUNS_DELIVERY_LEASE_SECONDS": "2",
        "COMMUNS_LOG_LEVEL": log_level,
    }
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [COMMUNS, "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


async def publish_to_inboxes(app: FastAPI, inbox_base: str, count: int) -> None:
    """Give a local actor ``count`` remote followers, each with its own inbox, and publish."""
    actor, _ = await create_actor(app, "coop")
    state = app.state.communs
    async with state.db.session() as session:
        for n in range(count):
            remote = Actor(
                uri=f"https://r{n}.example/users/u",
                username="u",
                domain=f"r{n}.example",
                type="Person",
                inbox_uri=f"{inbox_base}/inbox/{n}",
            )
            session.add(remote)
            await session.flush()
            session.add(
                Follow(
                    uri=f"https://r{n}.example/f",
                    follower_id=remote.id,
                    followed_id=actor.id,
                    state=FollowState.accepted,
                )
            )
        document = new_activity(state.urls, "Create", actor, {"type": "Note", "content": "hi"})
        await publish(session, actor, document, to_followers=True)
        await session.commit()


async def queue_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.communs.db.session() as session:
        rows = (
            await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        ).all()
    return {state: count for state, count in rows}


async def wait_until_delivered(app: FastAPI, total: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (await queue_counts(app)).get(DeliveryState.delivered, 0) < total:
        assert time.monotonic() < deadline, f"queue still {await queue_counts(app)}"
        await asyncio.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM a worker and return its exit code (graceful shutdown)."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


async def test_worker__sigkill_mid_delivery_loses_nothing(app: FastAPI, tmp_path: Path) -> None:
    count = 150
    async with recording_inbox(delay=0.05) as (inbox, base):
        # Given one publication to many inboxes, being delivered by a worker process
        await publish_to_inboxes(app, base, count)
        log = tmp_path / "worker.log"
        first = start_worker(app.state.communs.settings.database_url, concurrency=4, log=log)
        try:
            deadline = time.monotonic() + TIMEOUT
            while sum(inbox.received.values()) < 20:
                assert first.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the first worker delivered nothing"
                await asyncio.sleep(0.05)
        finally:
            # When it is killed without warning mid-flight
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        assert sum(inbox.received.values()) < count

        # And a new worker takes over
        second = start_worker(app.state.communs.settings.database_url, concurrency=8, log=log)
        try:
            await wait_until_delivered(app, count)
        finally:
            assert stop(second) == 0

    # Then every inbox received the activity at least once, and the queue is empty
    assert all_received(inbox, count, at_least=1)
    assert await queue_counts(app) == {DeliveryState.delivered: count}


def all_received(inbox: RecordingInbox, count: int, *, at_least: int) -> bool:
    return all(inbox.received[f"/inbox/{n}"] >= at_least for n in range(count))


async def test_workers__two_processes_share_the_queue_without_duplicates(
    app: FastAPI, tmp_path: Path
) -> None:
    count = 300
    async with recording_inbox(delay=0.01) as (inbox, base):
        # Given one publication to many inboxes
        await publish_to_inboxes(app, base, count)
        # When two worker processes run at once
        url = app.state.communs.settings.database_url
        log = tmp_path / "workers.log"
        workers = [start_worker(url, concurrency=8, log=log) for _ in range(2)]
        try:
            await wait_until_delivered(app, count)
        finally:
            codes = [stop(worker) for worker in workers]
    # Then each inbox received it exactly once, and both exited cleanly
    assert codes == [0, 0]
    assert sorted(inbox.received.values()) == [1] * count


async def test_worker__logs_a_failed_delivery_at_info_level(app: FastAPI, tmp_path: Path) -> None:
    # Given a publication to an inbox whose server refuses connections
    with bound_socket() as unused:
        refusing = f"http://127.0.0.1:{unused.getsockname()[1]}"
    await publish_to_inboxes(app, refusing, 1)

    # When a worker runs with COMMUNS_LOG_LEVEL=info
    log = tmp_path / "worker.log"
    worker = start_worker(
        app.state.communs.settings.database_url, concurrency=1, log=log, log_level="info"
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while f"delivery to {refusing}/inbox/0" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"nothing logged: {log.read_text()!r}"
            await asyncio.sleep(0.1)
    finally:
        assert stop(worker) == 0

    # Then the delivery's outcome was logged with the logger's name
    assert "INFO communs.workers: delivery to" in log.read_text()
