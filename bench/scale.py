"""Scenario 4, scale: enqueueing one publication for 100 000 followers, in-process.

``server.publishing.outbox.publish(..., to_followers=True)`` inside a transaction, committed; timed
without tracing, then again under ``tracemalloc`` for the Python heap's peak. The RSS delta
is the process's peak resident memory during the timed run (VmHWM reset first) minus its
resident memory before: it also sees SQLite's own allocations, which tracemalloc cannot.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, text

from bench.database import add_followers, create_publisher, scratch_database
from bench.processes import reset_peak_rss
from bench.report import Report
from schemas.context import AS2_PUBLIC
from server.publishing.outbox import new_activity, publish
from server.storage.db import Database
from server.storage.models import Actor, Delivery
from server.urls import Urls

__all__ = ["Scale"]

SECONDS_TARGET = 2.0
FRESH_SECONDS_TARGET = 1.0
MEMORY_TARGET_MB = 50.0
BASE_URL = "http://communs.bench"


@dataclass(frozen=True)
class ScaleCase:
    """``followers`` followers behind ``shared`` shared inboxes (0: one inbox each).

    With ``analyze`` false they are bulk-inserted into a database of their own, created for
    the case, with no ``ANALYZE`` after: the planner has no statistics (target < 1 s).
    """

    followers: int
    shared: int = 0
    analyze: bool = True

    @property
    def label(self) -> str:
        where = f"{self.shared:,} shared inboxes" if self.shared else "distinct inboxes"
        fresh = "" if self.analyze else ", fresh database without statistics"
        return f"{self.followers:,} followers, {where}{fresh}"

    @property
    def seconds_target(self) -> float:
        return SECONDS_TARGET if self.analyze else FRESH_SECONDS_TARGET


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Scale:
    """Runs the cases on one backend."""

    def __init__(self, report: Report, work_dir: Path) -> None:
        self.report = report
        self.work_dir = work_dir

    def run(self, backend: str, database_url: str, cases: list[ScaleCase]) -> None:
        """Seed each case's followers, then enqueue twice (timed, then traced)."""
        section = self.report.section(f"scale [{backend}]")
        for index, case in enumerate(cases):
            if case.analyze:
                figures = asyncio.run(_case(database_url, index, case))
            else:
                with scratch_database(backend, self.work_dir) as fresh_url:
                    figures = asyncio.run(_case(fresh_url, index, case))
            ok = (
                figures["seconds"] < case.seconds_target
                and max(figures["traced_peak_mb"], figures["rss_delta_mb"]) < MEMORY_TARGET_MB
                and figures["deliveries"] == (case.shared or case.followers)
            )
            figures["met"] = ok
            self.report.figure(
                section,
                f"{case.followers}_{case.shared or 'distinct'}",
                figures,
                f"{case.label}: {figures['deliveries']:,} deliveries enqueued in "
                f"{figures['seconds']:.2f} s (seeding took {figures['seed_seconds']:.1f} s); "
                f"Python heap peak {figures['traced_peak_mb']:.2f} MB, RSS delta "
                f"{figures['rss_delta_mb']:.1f} MB (targets < {case.seconds_target:.0f} s, "
                f"< {MEMORY_TARGET_MB:.0f} MB: {'met' if ok else 'MISSED'})",
            )


async def _case(database_url: str, index: int, case: ScaleCase) -> dict[str, Any]:
    db = Database(database_url)
    try:
        started = time.perf_counter()
        publisher = await create_publisher(db, BASE_URL, f"scale{index}")
        await add_followers(
            db,
            publisher.actor_id,
            case.followers,
            tag=f"scale{index}",
            inbox_base="https://inbox.bench",
            shared=case.shared,
            analyze=case.analyze,
        )
        seeded = time.perf_counter() - started
        urls = Urls(BASE_URL)
        await _enqueue(db, urls, publisher.actor_id)  # warm-up: imports, statement caches
        await _purge(db)
        reset_peak_rss(0)
        rss_before = _rss_kb("VmRSS")
        started = time.perf_counter()
        activity_id = await _enqueue(db, urls, publisher.actor_id)
        seconds = time.perf_counter() - started
        rss_delta = (_rss_kb("VmHWM") - rss_before) / 1024
        deliveries = await _count(db, activity_id)
        tracemalloc.start()
        await _enqueue(db, urls, publisher.actor_id)
        traced_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        await _purge(db)
        return {
            "followers": case.followers,
            "deliveries": deliveries,
            "seconds": seconds,
            "seed_seconds": seeded,
            "traced_peak_mb": traced_peak,
            "rss_delta_mb": max(rss_delta, 0.0),
        }
    finally:
        await db.dispose()


async def _enqueue(db: Database, urls: Urls, actor_id: int) -> str:
    """Publish one Create{Note} to every follower in one committed transaction."""
    async with db.session() as session:
        actor = await session.get(Actor, actor_id)
        assert actor is not None
        note = {
            "id": urls.url(f"/projects/scale-{time.monotonic_ns()}"),
            "type": "Note",
            "attributedTo": actor.uri,
            "content": "<p>One publication for every follower.</p>",
            "to": [AS2_PUBLIC],
            "cc": [actor.followers_uri],
        }
        document = new_activity(urls, "Create", actor, note, to=note["to"], cc=note["cc"])
        activity = await publish(session, actor, document, to_followers=True)
        await session.commit()
        return activity.id


async def _count(db: Database, activity_id: str) -> int:
    async with db.session() as session:
        total = await session.scalar(
            text("SELECT count(*) FROM delivery WHERE activity_id = :a"), {"a": activity_id}
        )
    return int(total or 0)


async def _purge(db: Database) -> None:
    """Drop the deliveries enqueued so far, so each run inserts into the same table size."""
    async with db.session() as session:
        await session.execute(delete(Delivery))
        await session.commit()
