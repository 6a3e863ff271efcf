"""The delivery worker: claim due deliveries with a lease, send them, record the outcomes.

It runs inside ``communs serve`` (``COMMUNS_RUN_WORKERS``) or alone in ``communs worker``;
any number of them share the queue through the database. Outcomes are written in batches
(one transaction per batch) because the database write, not the crypto, is the cost
(docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlmodel import col

from federation.delivery import DeliveryOutcome, SchemeMemory, deliver
from federation.fetch import TIMEOUT
from federation.httpsig import SigningKey
from federation.retry import is_unavailable, next_attempt_at, record_failure_day
from schemas.states import DeliveryState, DomainBlock
from server.clock import Clock
from server.metrics import DELIVERIES
from server.publishing.backlog import Backlog, HostSlots
from server.publishing.client import USER_AGENT, signing_key_of
from server.storage.db import Database
from server.storage.domains import BLOCKED_ERROR, block_rules, rule_for
from server.storage.models import Activity, Actor, Delivery, Domain
from server.storage.outage import Outage
from server.storage.queues import LEASE, POLL_SECONDS, any_due, claim_due

__all__ = ["DeliveryWorker"]

log = logging.getLogger("communs.workers")

#: What the delivery worker takes; rows bound for a blocked domain are abandoned, not sent.
_PENDING = (Delivery.state == DeliveryState.pending,)
#: The outcome of a claimed delivery bound for a blocked domain: abandoned unsent.
_BLOCKED = DeliveryOutcome("failed", error=BLOCKED_ERROR)
#: A busy worker writes its outcomes every 100 sends, and at least this often.
FLUSH_SECONDS = 1.0
#: On SQLite no notification reaches a separate delivery worker, so it looks more often, with
#: a read-only probe (a claim takes the write lock even when it finds nothing).
SQLITE_PROBE_SECONDS = 0.05


@lru_cache(maxsize=8)
def _counted(verdict: str) -> Counter:
    """Return the delivery counter of one verdict (three of them, looked up per delivery)."""
    return DELIVERIES.labels(verdict)


class DeliveryWorker:
    """Sends pending deliveries with bounded concurrency overall and per host."""

    def __init__(
        self,
        db: Database,
        transport: httpx.AsyncBaseTransport,
        *,
        concurrency: int = 32,
        host_concurrency: int = 8,
        clock: Clock | None = None,
        batch: int = 100,
        prefetch: int | None = None,
        lease: timedelta = LEASE,
        timeouts: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.db = db
        self.transport = transport
        self.timeouts = timeouts
        self.concurrency = concurrency
        self.clock = clock or Clock()
        self.batch = batch
        self.prefetch = prefetch or 4 * concurrency
        self.lease = lease
        self.wake = asyncio.Event()
        self._schemes = SchemeMemory()
        self._keys: dict[int, SigningKey] = {}
        self._bodies: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self.hosts = HostSlots(host_concurrency)
        #: (delivery id, host, attempts, outcome, the lease it was sent under)
        self._outcomes: list[tuple[int, str, int, DeliveryOutcome, datetime]] = []
        self._rules: dict[str, str] = {}  # domain → block, read with each claim
        self._payload_lock = asyncio.Lock()
        self._flushes = Outage(log, "recording delivery outcomes")
        self._flush_after = 0.0  # after a failed write of outcomes, the next try waits

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let in-flight sends finish and record them.

        Claims fill a local backlog of up to ``prefetch`` leased rows, refilled once it holds
        less than one round of sends: one claim query per hundred deliveries, not per
        handful (a claim cost as much as four sends' bookkeeping). While sends are in flight
        the loop waits for the first to finish, or the poll interval (wake-ups, stop); an
        idle worker waits for a wake-up or the poll interval, looking with a read first (a
        claim takes the write lock even when it finds nothing). Outcomes are written by a
        separate task, one batch at a time, so sending never waits for the database; while the
        database fails, looks and writes back off exponentially (up to 30 s), with one log line
        when the failures start and one when they end (``Outage``). A row waits
        in the backlog for at most half its lease, so that its send (which must take less than
        the other half: the lease is minutes, the timeouts seconds) ends before another worker
        may take it; then it is released unsent, for any worker to claim again, as are the
        rows still in the backlog at stop. The block rules are read with each claim and, while
        rows wait in the backlog or sends wait for their host's slot, every poll interval: a
        domain blocked meanwhile gets no send that starts after that.
        """
        loop = asyncio.get_running_loop()
        backlog = Backlog(keep=self.lease.total_seconds() / 2)
        inflight: set[asyncio.Task[None]] = set()
        freed = asyncio.Event()  # a send ended (asyncio.wait over 32 tasks cost 55 µs a time)

        def finished(task: asyncio.Task[None]) -> None:
            inflight.discard(task)
            freed.set()

        flushing: asyncio.Task[None] | None = None
        # Outcomes are written within a fraction of the lease, so that a sent row's lease
        # never runs out before its outcome is recorded (another worker would send it again).
        flush_every = min(FLUSH_SECONDS, self.lease.total_seconds() / 4)
        next_flush = loop.time() + flush_every
        idle_wait = SQLITE_PROBE_SECONDS if self.db.is_sqlite else POLL_SECONDS
        more = True  # the last claim was full: more rows may be due; look at once on start
        next_look = 0.0  # when a worker that took the last due rows looks again unbidden
        rules_due = 0.0  # when the block rules are read again for the rows in the backlog
        outage = Outage(log, "delivery worker")
        while not stop.is_set():
            woken = self.wake.is_set()
            self.wake.clear()
            looks = more or woken or loop.time() >= next_look
            try:
                if len(backlog) < self.concurrency and (
                    more or woken or (loop.time() >= next_look and await self._anything_due())
                ):
                    wanted = self.prefetch - len(backlog)
                    rows = await self._claim(wanted)
                    backlog.add(rows, loop.time())
                    more = len(rows) == wanted
                    next_look = loop.time() + idle_wait
                    rules_due = loop.time() + POLL_SECONDS
                if stale := backlog.stale(loop.time()):
                    more = True
                    await self._release(stale)
                if (backlog or inflight) and loop.time() >= rules_due:  # blocks since the claim
                    await self._read_rules()
                    rules_due = loop.time() + POLL_SECONDS
                if looks:
                    outage.succeeded()
            except Exception as exc:  # the database is away: sends in flight go on; back off
                pause = outage.failed(exc)
                more, next_look, rules_due = False, loop.time() + pause, loop.time() + pause
            while backlog and len(inflight) < self.concurrency:
                task = asyncio.create_task(self._send(*backlog.take()))
                inflight.add(task)
                task.add_done_callback(finished)
            flush_due = loop.time() >= self._flush_after and (
                len(self._outcomes) >= self.batch
                or (self._outcomes and (not inflight or loop.time() >= next_flush))
            )
            if flush_due and (flushing is None or flushing.done()):
                flushing = asyncio.create_task(self._flush_in_background())
                next_flush = loop.time() + flush_every
            if inflight:  # a freed slot, or a look at least every idle_wait (wake-ups, stop)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle_wait):
                        await freed.wait()
                freed.clear()
                continue
            waiters = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=idle_wait, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        try:  # first, so no other worker waits on these leases while the last sends end
            await self._release(backlog.rows())
        except Exception:  # their leases will run out instead
            log.exception("giving back unsent deliveries failed")
        if inflight:
            await asyncio.wait(inflight)
        if flushing is not None:
            await flushing
        await self._flush()

    async def run_once(self) -> int:
        """Claim what is due, send it all, record the outcomes; return how many were sent."""
        total = 0
        while rows := await self._claim(self.concurrency):
            await asyncio.gather(*(self._send(*row) for row in rows))
            await self._flush()
            total += len(rows)
        return total

    async def _claim(self, limit: int) -> list[Any]:
        """Lease up to ``limit`` due rows, with the block rules as they are now.

        The rules are read before the claim, each time (a few rows): a block committed
        before the claim stops what it takes, subdomains included, even rows queued by a
        publication that raced the block. Each row carries its lease (``locked_until``): what
        the worker later writes to the row applies only while that lease is still the row's.
        """
        await self._read_rules()
        async with self.db.session() as session:
            return await claim_due(
                session,
                Delivery,
                where=_PENDING,
                columns=[
                    Delivery.id,
                    Delivery.activity_id,
                    Delivery.inbox_uri,
                    Delivery.host,
                    Delivery.attempts,
                    Delivery.locked_until,
                ],
                now=self.clock.now(),
                limit=limit,
                lease=self.lease,
            )

    async def _read_rules(self) -> None:
        async with self.db.session() as session:
            self._rules = await block_rules(session)

    async def _release(self, rows: list[Any]) -> None:
        """Give back the leases of claimed rows that were never sent, for any worker to take.

        A lease that ran out meanwhile (a frozen process) may be another worker's by now:
        only the rows still under this worker's lease are given back.
        """
        if not rows:
            return
        leases: dict[datetime, list[int]] = {}
        for row in rows:
            leases.setdefault(row.locked_until, []).append(row.id)
        async with self.db.session() as session:
            for leased_until, ids in leases.items():
                await session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(ids), Delivery.locked_until == leased_until)
                    .values(locked_until=None)
                    .execution_options(synchronize_session=False)
                )
            await session.commit()

    async def _anything_due(self) -> bool:
        """Whether ``_claim`` would find a row, asked with a read (no write lock when idle)."""
        async with self.db.session() as session:
            return await any_due(session, Delivery, where=_PENDING, now=self.clock.now())

    async def _payload(self, activity_id: str) -> tuple[bytes, SigningKey]:
        cached = self._bodies.get(activity_id)
        if cached is not None:
            return cached[0], self._keys[cached[1]]
        async with self._payload_lock:  # one query per activity, not one per waiting send
            return await self._load_payload(activity_id)

    async def _load_payload(self, activity_id: str) -> tuple[bytes, SigningKey]:
        cached = self._bodies.get(activity_id)
        if cached is None:
            async with self.db.session() as session:
                row = (
                    await session.execute(
                        select(Activity.body, Activity.local_actor_id).where(
                            Activity.id == activity_id
                        )
                    )
                ).one()
                cached = (row[0], int(row[1]))
                if cached[1] not in self._keys:
                    actor = await session.get(Actor, cached[1])
                    assert actor is not None
                    self._keys[cached[1]] = signing_key_of(actor)
            self._bodies[activity_id] = cached
            while len(self._bodies) > 256:
                self._bodies.popitem(last=False)
        return cached[0], self._keys[cached[1]]

    async def _send(
        self,
        delivery_id: int,
        activity_id: str,
        inbox: str,
        host: str,
        attempts: int,
        leased_until: datetime,
    ) -> None:
        try:
            async with self.hosts.slot(host):
                # Checked once the slot is ours: a send may wait for it while a block comes in.
                if self._rules and rule_for(self._rules, host) == DomainBlock.reject:
                    self._outcomes.append((delivery_id, host, attempts, _BLOCKED, leased_until))
                    return
                body, key = await self._payload(activity_id)
                outcome = await deliver(
                    self.transport,
                    inbox_uri=inbox,
                    body=body,
                    key=key,
                    schemes=self._schemes,
                    now=self.clock.now(),
                    user_agent=USER_AGENT,
                    timeouts=self.timeouts,
                )
        except Exception as exc:  # a bug must not kill the worker; the row is retried
            log.exception("delivery %s to %s crashed", delivery_id, inbox)
            outcome = DeliveryOutcome("retry", error=f"internal error: {type(exc).__name__}")
        if outcome.verdict != "delivered":
            log.info("delivery to %s: %s %s", inbox, outcome.status, outcome.error[:200])
        _counted(outcome.verdict).inc()
        self._outcomes.append((delivery_id, host, attempts + 1, outcome, leased_until))

    async def _flush_in_background(self) -> None:
        """Record outcomes while the loop keeps claiming; on a database error the rows keep
        their lease and are sent again once it expires (at least once, never lost)."""
        try:
            await self._flush()
        except Exception as exc:
            self._flush_after = asyncio.get_running_loop().time() + self._flushes.failed(exc)
        else:
            self._flushes.succeeded()

    async def _flush(self) -> None:
        """Write a batch of outcomes: one UPDATE per distinct outcome, not one per row.

        A fan-out's answers are mostly alike (202 on the first attempt), and the ORM's
        per-row bulk update cost the worker more than signing's Python side did. An outcome is
        written only while the row is under the lease it was sent under: past it, another
        worker may have taken the row and its outcome is the one that counts; a domain block
        abandons pending rows and clears their lease.
        """
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        # A delivery sent twice in one flush (its lease ran out meanwhile): its last outcome.
        outcomes = list({outcome[0]: outcome for outcome in outcomes}.values())
        now = self.clock.now()
        alike: dict[tuple[Any, ...], list[int]] = {}
        failed_hosts: set[str] = set()
        alive_hosts: set[str] = set()
        for delivery_id, host, attempts, outcome, leased_until in outcomes:
            state, next_attempt = DeliveryState.pending, now
            if outcome.verdict == "delivered":
                state = DeliveryState.delivered
                alive_hosts.add(host)
            elif outcome is _BLOCKED:
                state = DeliveryState.abandoned
            elif outcome.verdict == "failed":
                state = DeliveryState.failed
            else:
                failed_hosts.add(host)
                retry_at = next_attempt_at(attempts, now=now, retry_after=outcome.retry_after)
                if retry_at is None:
                    state = DeliveryState.abandoned
                else:
                    next_attempt = retry_at
            key = (state, attempts, outcome.status, outcome.error, next_attempt, leased_until)
            alike.setdefault(key, []).append(delivery_id)
        async with self.db.session() as session:
            for (state, attempts, status, error, next_attempt, leased_until), ids in alike.items():
                await session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(ids), Delivery.locked_until == leased_until)
                    .values(
                        state=state,
                        attempts=attempts,
                        last_status=status,
                        last_error=error or None,
                        locked_until=None,
                        updated_at=now,
                        next_attempt_at=next_attempt,
                    )
                    .execution_options(synchronize_session=False)
                )
            await self._track_hosts(session, failed_hosts - alive_hosts, alive_hosts, now)
            await session.commit()

    async def _track_hosts(
        self, session: Any, failed: set[str], alive: set[str], now: datetime
    ) -> None:
        """Count distinct failure days per host; 7 make it unavailable; any success resets."""
        if not failed and not alive:
            return
        known = {
            d.host: d
            for d in (
                await session.execute(select(Domain).where(col(Domain.host).in_(failed | alive)))
            ).scalars()
        }
        for host in failed:
            domain = known.get(host) or Domain(host=host)
            domain.failure_days = record_failure_day(domain.failure_days, now=now)
            domain.is_unavailable = is_unavailable(domain.failure_days)
            domain.updated_at = now
            session.add(domain)
        for host in alive:
            domain = known.get(host)
            if domain is not None and (domain.failure_days or domain.is_unavailable):
                domain.failure_days = []
                domain.is_unavailable = False
                domain.updated_at = now
