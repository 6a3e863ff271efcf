"""Scenario 1, fan-out: one project published through the JSON API reaches N inboxes.

``communs serve`` (workers off) and one ``communs worker`` process run against a scratch
database whose followers were inserted in bulk; the recording receiver counts deliveries.
Measured: time from the API call to the first and the last delivery received, deliveries/s,
and the peak RSS of both processes. Before the cases, one warm-up publication to a single
follower runs every code path once (the first API call of a process compiled its SQL and
loaded its templates: ≈ 150 ms, 6 % of a 1 000-inbox case), as on a server already running.
Limit: ``bench.signloop`` (sign + POST the same bytes with aiohttp, same concurrency, no
database) against the same receiver, measured right before and right after each case; the
ratio is to their mean.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.database import Publisher, add_followers, create_publisher
from bench.processes import communs, free_port, peak_rss_mb, reset_peak_rss, running
from bench.report import Report
from schemas.states import DeliveryState
from server.storage.db import Database, affected

__all__ = ["Case", "Fanout"]

TARGET = 0.60
PROJECT = {
    "name": "Commons Cloud",
    "summary": "A cooperative cloud for public bodies.",
    "description": "Hosting *for* and **by** the commons: mail, files, maps and video.",
    "license": "AGPL-3.0-or-later",
    "repository_url": "https://code.example/commons-cloud",
    "tags": ["commons", "cloud", "cooperative"],
}


@dataclass(frozen=True)
class Case:
    """``followers`` remote followers, behind ``shared`` shared inboxes (0: all distinct)."""

    followers: int
    shared: int = 0

    @property
    def inboxes(self) -> int:
        return self.shared or self.followers

    @property
    def label(self) -> str:
        where = f"{self.shared} shared inboxes" if self.shared else "distinct inboxes"
        return f"{self.followers:,} followers, {where}"


class Fanout:
    """Runs the cases of one backend; each case is bracketed by two measures of its limit.

    The machine's speed drifts over minutes, and at times within one (other jobs share it):
    a limit measured once per run compared figures taken minutes apart, and one measured only
    after the case still gave limits 40 % apart in consecutive runs. The before-case limit
    signs the warm-up publication's bytes (the same project, a few bytes apart).
    """

    def __init__(
        self,
        report: Report,
        work_dir: Path,
        *,
        receiver_port: int,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.report = report
        self.work_dir = work_dir
        self.receiver = f"http://127.0.0.1:{receiver_port}"
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds

    def run(self, backend: str, database_url: str, cases: list[Case]) -> None:
        """Seed, start server and worker, publish once per case, record figures and ratios."""
        section = self.report.section(f"fan-out [{backend}]")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        warm, *publishers = asyncio.run(
            self._seed(database_url, base_url, [Case(followers=1), *cases])
        )
        env = {
            "COMMUNS_DATABASE_URL": database_url,
            "COMMUNS_BASE_URL": base_url,
            "COMMUNS_ALLOW_PRIVATE_NETWORKS": "true",
            "COMMUNS_RUN_WORKERS": "false",
            "COMMUNS_LOG_LEVEL": "warning",
            "COMMUNS_DELIVERY_CONCURRENCY": str(self.concurrency),
        }
        self.report.figure(
            section,
            "processes",
            "communs serve (COMMUNS_RUN_WORKERS=false) + one communs worker",
            "processes: communs serve (workers off) + one separate communs worker, "
            f"delivery concurrency {self.concurrency}",
        )
        serve = communs("serve", "--port", str(port))
        with (
            running(f"fanout-serve-{backend}", serve, env, self.work_dir, port=port) as server,
            running(f"fanout-worker-{backend}", communs("worker"), env, self.work_dir) as worker,
        ):
            _wait_log(worker.log, "worker started")
            self._publish(base_url, warm, Case(followers=1), server.pid, worker.pid)
            warm_body = asyncio.run(_activity_body(database_url, warm.actor_id))
            for case, publisher in zip(cases, publishers, strict=True):
                if not case.shared:
                    before = self._limit(case.followers, backend, "before", warm_body, publisher)
                figures = self._publish(base_url, publisher, case, server.pid, worker.pid)
                figures |= asyncio.run(
                    _recorded(database_url, publisher.actor_id, case, self.wait_seconds / 2)
                )
                self._print(section, case, figures)
                if case.shared:
                    continue
                body = asyncio.run(_activity_body(database_url, publisher.actor_id))
                after = self._limit(case.followers, backend, "after", body, publisher)
                limit = (before["rate"] + after["rate"]) / 2
                self.report.ratio(
                    section,
                    f"ratio_{case.followers}",
                    figures["rate_end_to_end"],
                    limit,
                    target=TARGET,
                    what=f"fan-out {case.followers:,} deliveries/s (API call → last) vs limit",
                )
                self.report.ratio(
                    section,
                    f"ratio_steady_{case.followers}",
                    figures["rate_steady"],
                    limit,
                    target=TARGET,
                    what="  same, first → last delivery (excludes the worker's pick-up delay)",
                )

    async def _seed(self, database_url: str, base_url: str, cases: list[Case]) -> list[Publisher]:
        db = Database(database_url)
        try:
            publishers = []
            for index, case in enumerate(cases):
                publisher = await create_publisher(db, base_url, f"fan{index}")
                await add_followers(
                    db,
                    publisher.actor_id,
                    case.followers,
                    tag=f"c{index}",
                    inbox_base=self.receiver,
                    shared=case.shared,
                )
                publishers.append(publisher)
            return publishers
        finally:
            await db.dispose()

    def _publish(
        self, base_url: str, publisher: Publisher, case: Case, server_pid: int, worker_pid: int
    ) -> dict[str, Any]:
        with httpx.Client(timeout=60) as client:
            client.get(f"{self.receiver}/reset")
            reset_peak_rss(server_pid)
            reset_peak_rss(worker_pid)
            started = time.time()
            response = client.post(
                f"{base_url}/api/v1/projects",
                json=PROJECT,
                headers={"Authorization": f"Bearer {publisher.token}"},
            )
            answered = time.time() - started
            response.raise_for_status()
            deadline = time.monotonic() + self.wait_seconds
            stats = client.get(f"{self.receiver}/stats").json()
            while stats["count"] < case.inboxes and time.monotonic() < deadline:
                time.sleep(0.02)
                stats = client.get(f"{self.receiver}/stats").json()
        last, first = stats["last"] - started, stats["first"] - started
        return {
            "deliveries_received": stats["count"],
            "distinct_paths": stats["paths"],
            "api_seconds": answered,
            "first_seconds": first,
            "last_seconds": last,
            "rate_end_to_end": stats["count"] / last if last > 0 else 0.0,
            "rate_steady": (stats["count"] - 1) / (last - first) if last > first else 0.0,
            "server_peak_rss_mb": peak_rss_mb(server_pid),
            "worker_peak_rss_mb": peak_rss_mb(worker_pid),
        }

    def _print(self, section: dict[str, Any], case: Case, figures: dict[str, Any]) -> None:
        key = f"{case.followers}_{case.shared or 'distinct'}"
        self.report.figure(
            section,
            key,
            figures,
            f"{case.label}: {figures['deliveries_received']:,}/{case.inboxes:,} received; "
            f"API {figures['api_seconds'] * 1000:.0f} ms, first {figures['first_seconds']:.2f} s, "
            f"last {figures['last_seconds']:.2f} s → {figures['rate_end_to_end']:,.0f}/s "
            f"(steady {figures['rate_steady']:,.0f}/s); recorded delivered "
            f"{figures['recorded_delivered']:,} after {figures['recorded_seconds']:.2f} s more "
            f"({figures['abandoned_after_cap']:,} still pending abandoned); "
            f"peak RSS serve {figures['server_peak_rss_mb']:.0f} MB, "
            f"worker {figures['worker_peak_rss_mb']:.0f} MB",
        )

    def _limit(
        self, count: int, backend: str, when: str, body: bytes, publisher: Publisher
    ) -> dict[str, Any]:
        """Measure the bare sign + POST loop now; ``when`` says whether before or after the case."""
        body_file = self.work_dir / "fanout-body.json"
        body_file.write_bytes(body)
        spec_file = self.work_dir / "signloop.json"
        spec_file.write_text(
            json.dumps(
                {
                    "base": self.receiver,
                    "count": count,
                    "concurrency": self.concurrency,
                    "body_file": str(body_file),
                    "key_id": f"{publisher.username}#main-key",
                    "private_key_pem": publisher.private_key_pem,
                }
            )
        )
        httpx.get(f"{self.receiver}/reset")
        done = subprocess.run(
            [sys.executable, "-m", "bench.signloop", str(spec_file)],
            capture_output=True,
            check=True,
            timeout=600,
        )
        limit: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        limit["body_bytes"] = len(body)
        self.report.limit(
            f"fanout_{count}_{backend}_{when}",
            limit,
            f"{when} the case, bare sign (RSA-2048) + aiohttp POST of {len(body):,} bytes, "
            f"concurrency {self.concurrency}: "
            f"{limit['count']:,} in {limit['elapsed']:.2f} s → {limit['rate']:,.0f}/s "
            f"(statuses {limit['statuses']})",
        )
        return limit


def _wait_log(log: Path, marker: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and marker in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{marker!r} never appeared in {log}")


async def _activity_body(database_url: str, actor_id: int) -> bytes:
    db = Database(database_url)
    try:
        async with db.session() as session:
            body = await session.scalar(
                text("SELECT body FROM activity WHERE local_actor_id = :a AND direction = 'out'"),
                {"a": actor_id},
            )
        assert body is not None
        return bytes(body)
    finally:
        await db.dispose()


async def _recorded(database_url: str, actor_id: int, case: Case, wait: float) -> dict[str, Any]:
    """Wait until the worker has recorded every outcome; return how many and how long.

    Deliveries still pending after ``wait`` are abandoned, so they do not load the next case.
    """
    db = Database(database_url)
    started = time.monotonic()
    delivered = 0
    try:
        while time.monotonic() - started < wait:
            async with db.session() as session:
                delivered = int(
                    await session.scalar(
                        text(
                            "SELECT count(*) FROM delivery JOIN activity"
                            " ON activity.id = delivery.activity_id"
                            " WHERE activity.local_actor_id = :a AND delivery.state = :s"
                        ),
                        {"a": actor_id, "s": DeliveryState.delivered.value},
                    )
                    or 0
                )
            if delivered >= case.inboxes:
                break
            await asyncio.sleep(0.05)
        async with db.session() as session:
            cancelled = await session.execute(
                text("UPDATE delivery SET state = :abandoned WHERE state = :pending"),
                {
                    "abandoned": DeliveryState.abandoned.value,
                    "pending": DeliveryState.pending.value,
                },
            )
            await session.commit()
    finally:
        await db.dispose()
    return {
        "recorded_delivered": delivered,
        "recorded_seconds": time.monotonic() - started,
        "abandoned_after_cap": affected(cancelled),
    }
