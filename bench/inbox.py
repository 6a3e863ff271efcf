"""Scenario 2, inbox ingestion: signed Creates from known remote actors, posted concurrently.

``communs serve`` (workers off: acceptance only) receives pre-signed requests from the load
generator: a warm-up pass of one request per signer (a running server has the keys of its
regular senders in memory; the limit gets the same pass), then a closed loop (accepted
requests/s), then an open loop at half the limit's rate (p99 at the target rate); the same
for the personal inbox of a local actor (``/actors/inbox/inbox``), whose closed loop runs
between two of the shared inbox's and must reach 90 % of their mean. Afterwards every accepted
activity must be in the database.
Limit: ``bench.limits.verify_app`` (verify + digest + parse only) under the same load, on the
same port with the same signed requests, measured right before and right after each backend's
server (the machine's speed drifts over minutes, at times within one): the ratio is to the mean
of the two closed loops. Before the server it gets the open loop too, whose p99 shows what the
machine allows at that rate.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.database import add_signers, create_publisher
from bench.loadgen import LoadSpec, load
from bench.processes import communs, free_port, peak_rss_mb, python, running, uvicorn_options
from bench.report import Report, describe
from bench.signed import KeyRing, signed_creates
from server.storage.db import Database

__all__ = ["Inbox", "InboxSizes"]

TARGET = 0.50
PERSONAL_TARGET = 0.90
P99_TARGET_MS = 50.0
#: The personal inbox posted to (a local actor the seed creates).
PERSONAL = "/actors/inbox/inbox"


@dataclass(frozen=True)
class InboxSizes:
    """How many signers, keys and requests, and how hard."""

    signers: int
    keys: int
    requests: int
    open_seconds: float
    closed_seconds: float = 60.0
    connections: int = 32
    open_connections: int = 64


class Inbox:
    """Runs the scenario per backend, each after a fresh measure of the limit."""

    def __init__(self, report: Report, work_dir: Path, sizes: InboxSizes) -> None:
        self.report = report
        self.work_dir = work_dir
        self.sizes = sizes
        self.keys = KeyRing.generate(sizes.keys)
        self.signers = [f"https://r{k % 50}.signers.bench/users/u{k}" for k in range(sizes.signers)]

    def run(self, backend: str, database_url: str) -> None:
        """Load the bare verify app, then the server, on one port with the same requests.

        The open loop's rate is half the bare app's closed-loop rate; the bare app then gets
        that open loop too, so the server's p99 can be read against what the machine itself
        allows at that rate (its own stalls reach every process: see docs/performance.md).
        The server takes the shared inbox's closed loop before and after the personal
        inbox's, which is compared to their mean, then both open loops.
        """
        section = self.report.section(f"inbox [{backend}]")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        asyncio.run(_seed(database_url, base_url, len(self.signers), self.keys.public_pems))
        warm_up = self._signed(base_url, len(self.signers), f"{backend}-warm-up")
        closed = self._signed(base_url, self.sizes.requests, f"{backend}-closed")
        limit, opened, limit_open = self._limit(backend, port, warm_up, closed)
        rate = limit["open_rate"]
        personal = {
            "closed": self._signed(base_url, self.sizes.requests, f"{backend}-p", PERSONAL),
            "again": self._signed(base_url, self.sizes.requests, f"{backend}-again"),
            "open": self._signed(base_url, len(opened), f"{backend}-p-open", PERSONAL),
        }
        env = {
            "COMMUNS_DATABASE_URL": database_url,
            "COMMUNS_BASE_URL": base_url,
            "COMMUNS_RUN_WORKERS": "false",
            "COMMUNS_LOG_LEVEL": "warning",
        }
        command = communs("serve", "--port", str(port))
        with running(f"inbox-serve-{backend}", command, env, self.work_dir, port=port) as server:
            runs = {"warm": self._load(port, warm_up), "closed": self._load(port, closed)}
            self.report.figure(section, "closed_loop", runs["closed"], describe(runs["closed"]))
            runs["personal"] = self._load(port, personal["closed"])
            self.report.figure(
                section,
                "personal_closed_loop",
                runs["personal"],
                f"personal inbox {PERSONAL}: " + describe(runs["personal"]),
            )
            runs["again"] = self._load(port, personal["again"])
            self.report.figure(
                section,
                "closed_loop_again",
                runs["again"],
                "shared again: " + describe(runs["again"]),
            )
            runs["open"] = self._load(port, opened, rate)
            self.report.figure(
                section,
                "open_loop",
                runs["open"],
                f"open loop at {rate:,.0f}/s (50 % of the limit): " + describe(runs["open"]),
            )
            runs["personal_open"] = self._load(port, personal["open"], rate)
            self.report.figure(
                section,
                "personal_open_loop",
                runs["personal_open"],
                f"personal inbox, open loop at {rate:,.0f}/s: " + describe(runs["personal_open"]),
            )
            rss = peak_rss_mb(server.pid)
        after = self._limit_after(backend, port, warm_up, closed)
        accepted = sum(run["statuses"].get("202", 0) for run in runs.values())
        stored = asyncio.run(_stored(database_url))
        self.report.figure(
            section,
            "stored",
            {"accepted": accepted, "stored": stored, "lost": accepted - stored, "rss_mb": rss},
            f"accepted {accepted:,}, stored {stored:,} → lost {accepted - stored:,}; "
            f"server peak RSS {rss:.0f} MB",
        )
        bare = (limit["rps"] + after["rps"]) / 2
        self.report.ratio(
            section,
            "ratio",
            _accepted_rate(runs["closed"]),
            bare,
            target=TARGET,
            what="inbox accepted/s vs bare verify (mean of before and after)",
        )
        self.report.ratio(
            section,
            "personal_ratio",
            _accepted_rate(runs["personal"]),
            bare,
            target=TARGET,
            what="personal inbox accepted/s vs bare verify",
        )
        self.report.ratio(
            section,
            "personal_vs_shared",
            _accepted_rate(runs["personal"]),
            (_accepted_rate(runs["closed"]) + _accepted_rate(runs["again"])) / 2,
            target=PERSONAL_TARGET,
            what="personal inbox accepted/s vs the shared inbox's (mean of before and after)",
        )
        for key, name in (("open", "shared"), ("personal_open", "personal")):
            p99 = runs[key]["p99_ms"]
            met = p99 < P99_TARGET_MS and accepted == stored
            section[f"{name}_p99_at_target_rate_met"] = met
            print(
                f"  {name} inbox p99 at {rate:,.0f}/s: {p99:.1f} ms (target < "
                f"{P99_TARGET_MS:.0f} ms, nothing lost): {'met' if met else 'MISSED'}; "
                f"the bare verify app at the same rate: {limit_open['p99_ms']:.1f} ms",
                flush=True,
            )

    def _limit(
        self, backend: str, port: int, warm_up: list[bytes], closed: list[bytes]
    ) -> tuple[dict[str, Any], list[bytes], dict[str, Any]]:
        """Return the bare verify app's closed-loop figures, the open loop's requests (signed
        for its rate) and the bare app's figures under that open loop, all measured now."""
        with self._bare_app(port):
            self._load(port, warm_up)
            limit = self._load(port, closed)
            limit["open_rate"] = rate = TARGET * limit["rps"]
            count = int(rate * self.sizes.open_seconds) + 1
            opened = self._signed(f"http://127.0.0.1:{port}", count, f"{backend}-open")
            limit_open = self._load(port, opened, rate)
        self.report.limit(
            f"inbox_{backend}",
            limit,
            "before the server, bare verify + digest + json.loads app: " + describe(limit),
        )
        self.report.limit(
            f"inbox_{backend}_open",
            limit_open,
            f"the same app, open loop at {rate:,.0f}/s: " + describe(limit_open),
        )
        return limit, opened, limit_open

    def _limit_after(
        self, backend: str, port: int, warm_up: list[bytes], closed: list[bytes]
    ) -> dict[str, Any]:
        """Return the bare app's closed-loop figures again, measured right after the server."""
        with self._bare_app(port):
            self._load(port, warm_up)
            after = self._load(port, closed)
        self.report.limit(f"inbox_{backend}_after", after, "after the server: " + describe(after))
        return after

    def _bare_app(self, port: int) -> AbstractContextManager[Any]:
        """Serve ``bench.limits.verify_app`` on ``port``, with the signers' keys."""
        config = self.work_dir / "verify-limit.json"
        config.write_text(
            json.dumps(
                {
                    "keys": {
                        f"{uri}#main-key": self.keys.public_pems[k % len(self.keys.public_pems)]
                        for k, uri in enumerate(self.signers)
                    }
                }
            )
        )
        command = python("-m", "uvicorn", "bench.limits:verify_app", *uvicorn_options(port))
        return running(
            "inbox-limit", command, {"BENCH_LIMIT": str(config)}, self.work_dir, port=port
        )

    def _signed(self, base_url: str, count: int, tag: str, path: str = "/inbox") -> list[bytes]:
        """Return ``count`` signed Creates from the signers in turn, to ``path``."""
        requests, _ = signed_creates(
            base_url=base_url, signers=self.signers, keys=self.keys, count=count, tag=tag, path=path
        )
        return requests

    def _load(self, port: int, requests: list[bytes], rate: float | None = None) -> dict[str, Any]:
        """Send ``requests`` in a closed loop, or in an open loop at ``rate`` requests/s."""
        opened = rate is not None
        spec = LoadSpec(
            port=port,
            requests=requests,
            connections=self.sizes.open_connections if opened else self.sizes.connections,
            duration=self.sizes.open_seconds if opened else self.sizes.closed_seconds,
            rate=rate,
            cycle=False,
        )
        return load(spec, self.work_dir)


def _accepted_rate(result: dict[str, Any]) -> float:
    """Return the 202s per second of a closed loop."""
    return float(result["statuses"].get("202", 0)) / result["elapsed"]


async def _seed(database_url: str, base_url: str, count: int, public_pems: list[str]) -> None:
    """Insert the signers, and the local actor whose personal inbox is posted to."""
    db = Database(database_url)
    try:
        await add_signers(db, count, public_pems)
        await create_publisher(db, base_url, PERSONAL.split("/")[2])
    finally:
        await db.dispose()


async def _stored(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            total = await session.scalar(
                text("SELECT count(*) FROM activity WHERE direction = 'in'")
            )
        return int(total or 0)
    finally:
        await db.dispose()
