"""Scenario 7, processing keeps up: accepted activities applied while they keep coming.

The default ``communs serve`` (workers in the web process), then the split deployment (``serve``
with workers off and one ``communs worker``), each over a fresh database: a local actor with a
project and a funding call, 200 remote actors it follows (their inboxes: the recording
receiver), and ``bench.mix``'s activities posted to the shared inbox in an open loop at half
the acceptance limit (the bare verify app's closed-loop rate, measured first) for
``seconds``. Meanwhile the bench likes a second project ten times a second and reads its
``likes`` collection (AS2) every 25 ms: the lag of a Like is from its 202 to the collection
counting it, and since the inbox is processed in arrival order it is the lag of every
activity. The backlog (received, not yet processed) is read every half second. Targets: p99
lag < 1 s, a bounded backlog drained within 5 s of the load stopping, every accepted
activity processed.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from bench.database import add_signers, create_publisher, scratch_database
from bench.loadgen import LoadSpec, load, percentile
from bench.mix import Target, activity_mix, like
from bench.processes import communs, free_port, python, running, uvicorn_options
from bench.report import Report, describe
from bench.signed import KeyRing, signed_posts
from federation.httpsig import SigningKey, sign_request
from schemas.commons import FundingCallCreate, ProjectCreate
from server.clock import Clock
from server.domain.funding import create_funding_call
from server.domain.projects import create_project
from server.storage.db import Database
from server.storage.models import Activity, Actor, Follow
from server.urls import Urls

__all__ = ["Processing"]

LAG_P99_TARGET = 1.0
DRAIN_TARGET = 5.0
SIGNERS = 200
PROBES_PER_SECOND = 10


class Processing:
    """Runs both deployments per backend."""

    def __init__(self, report: Report, work_dir: Path, *, receiver_port: int, seconds: float):
        self.report = report
        self.work_dir = work_dir
        self.receiver_port = receiver_port
        self.seconds = seconds
        self.keys = KeyRing.generate(8)
        self.signers = [f"https://r{k % 50}.signers.bench/users/u{k}" for k in range(SIGNERS)]

    def run(self, backend: str) -> None:
        """Measure the acceptance limit once, then each deployment on a database of its own."""
        section = self.report.section(f"processing [{backend}]")
        rate = self._limit(backend) / 2
        for split in (False, True):
            with scratch_database(backend, self.work_dir) as url:
                self._deployment(section, backend, url, rate, split=split)

    def _limit(self, backend: str) -> float:
        """Return the bare verify app's closed-loop rate on this machine, now."""
        port = free_port()
        config = self.work_dir / "processing-limit.json"
        pems = self.keys.public_pems
        keys = {f"{uri}#main-key": pems[k % len(pems)] for k, uri in enumerate(self.signers)}
        config.write_text(json.dumps({"keys": keys}))
        target = Target(actor="https://x/a", project="https://x/p", call="https://x/c")
        documents = activity_mix(target, self.signers, 3000, "limit")
        requests = signed_posts(
            base_url=f"http://127.0.0.1:{port}",
            documents=documents,
            signers=self.signers,
            keys=self.keys,
        )
        command = python("-m", "uvicorn", "bench.limits:verify_app", *uvicorn_options(port))
        with running(
            "processing-limit", command, {"BENCH_LIMIT": str(config)}, self.work_dir, port=port
        ):
            result = load(LoadSpec(port, requests, 32, 10.0, cycle=False), self.work_dir)
        self.report.limit(f"processing_{backend}", result, "bare verify app: " + describe(result))
        return float(result["rps"])

    def _deployment(
        self, section: dict[str, Any], backend: str, url: str, rate: float, *, split: bool
    ) -> None:
        name = "split (serve + worker)" if split else "default (workers in serve)"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        target, probe_path = asyncio.run(
            _seed(url, base_url, self.signers, self.keys, self.receiver_port)
        )
        count = int(rate * self.seconds)
        documents = activity_mix(target, self.signers, count, f"{backend}-{int(split)}")
        requests = signed_posts(
            base_url=base_url, documents=documents, signers=self.signers, keys=self.keys
        )
        env = {
            "COMMUNS_DATABASE_URL": url,
            "COMMUNS_BASE_URL": base_url,
            "COMMUNS_RUN_WORKERS": "false" if split else "true",
            "COMMUNS_ALLOW_PRIVATE_NETWORKS": "true",
            "COMMUNS_LOG_LEVEL": "warning",
        }
        label = f"processing-{backend}-{'split' if split else 'default'}"
        with ExitStack() as stack:
            stack.enter_context(
                running(label, communs("serve", "--port", str(port)), env, self.work_dir, port=port)
            )
            if split:
                stack.enter_context(
                    running(f"{label}-worker", communs("worker"), env, self.work_dir)
                )
            spec = LoadSpec(port, requests, 64, self.seconds, rate=rate, cycle=False)
            figures = asyncio.run(
                _measure(spec, self.work_dir, url, base_url, probe_path, self.signers, self.keys)
            )
        lags = figures.pop("lags")
        loaded = figures["load"]
        met = (
            figures["lag_p99_s"] < LAG_P99_TARGET
            and figures["drained_s"] is not None
            and figures["drained_s"] <= DRAIN_TARGET
            and figures["lost"] == 0
        )
        figures["met"] = met
        key = "split" if split else "default"
        self.report.figure(
            section,
            key,
            figures,
            f"{name}: {describe(loaded)}\n"
            f"    lag from 202 to visible (AS2), {len(lags)} probes: p50 "
            f"{figures['lag_p50_s'] * 1000:.0f} ms, p99 {figures['lag_p99_s'] * 1000:.0f} ms; "
            f"backlog peak {figures['backlog_peak']:,}, over time {figures['backlog']}; "
            f"drained {figures['drained_s']} s after the load stopped; accepted "
            f"{figures['accepted']:,}, processed {figures['processed']:,}, lost "
            f"{figures['lost']:,} (targets p99 < {LAG_P99_TARGET:.0f} s, drained ≤ "
            f"{DRAIN_TARGET:.0f} s, nothing lost: {'met' if met else 'MISSED'})",
        )


async def _seed(
    url: str, base_url: str, signers: list[str], keys: KeyRing, receiver_port: int
) -> tuple[Target, str]:
    """Create the local actor, its two projects and its call; the signers, followed by it."""
    db = Database(url)
    urls = Urls(base_url)
    today = Clock().today()
    try:
        publisher = await create_publisher(db, base_url, "keeper")
        await add_signers(
            db, len(signers), keys.public_pems, inbox_base=f"http://127.0.0.1:{receiver_port}/i"
        )
        async with db.session() as session:
            actor = await session.get(Actor, publisher.actor_id)
            assert actor is not None
            project = await create_project(
                session, urls, actor, ProjectCreate(name="Commons Cloud", license="MIT")
            )
            probe = await create_project(
                session, urls, actor, ProjectCreate(name="Sonde", license="MIT")
            )
            call = await create_funding_call(
                session,
                urls,
                actor,
                FundingCallCreate.model_validate(
                    {
                        "title": "Financer le commun",
                        "goal": {"amount": "100000000.00", "currency": "EUR"},
                        "deadline": "2099-01-01",
                    }
                ),
                today=today,
            )
            remote = (
                await session.execute(select(Actor.id, Actor.uri).where(Actor.is_local == False))
            ).all()
            now = actor.created_at
            await session.execute(
                insert(Follow),
                [
                    {
                        "uri": f"{uri}#followed-by-keeper",
                        "follower_id": actor.id,
                        "followed_id": remote_id,
                        "state": "accepted",
                        "created_at": now,
                        "accepted_at": now,
                    }
                    for remote_id, uri in remote
                ],
            )
            await session.commit()
            target = Target(actor=actor.uri, project=project.uri, call=call.uri)
            return target, urls.url(f"/projects/{probe.id}")
    finally:
        await db.dispose()


async def _measure(
    spec: LoadSpec,
    work_dir: Path,
    url: str,
    base_url: str,
    probe_uri: str,
    signers: list[str],
    keys: KeyRing,
) -> dict[str, Any]:
    """Run the load; probe, poll the likes and the backlog meanwhile and until drained."""
    db = Database(url)
    sent: list[float] = []  # when each probe was answered 202
    seen: list[float] = []  # when the collection first counted each probe
    backlog: list[tuple[float, int]] = []
    done = asyncio.Event()
    probe_path = probe_uri.removeprefix(base_url)
    accepted_probes = 0

    async def probes(client: httpx.AsyncClient) -> None:
        nonlocal accepted_probes
        number = 0
        while not done.is_set():
            signer = signers[number % len(signers)]
            document = like(signer, probe_uri, f"probe-{number}")
            body = json.dumps(document).encode()
            key = SigningKey(
                f"{signer}#main-key", keys.private[number % len(signers) % len(keys.private)]
            )
            headers = {"Content-Type": "application/activity+json"}
            headers |= sign_request(
                method="POST", url=f"{base_url}/inbox", headers=headers, body=body, key=key
            )
            answer = await client.post("/inbox", content=body, headers=headers)
            if answer.status_code == 202:
                sent.append(time.time())
                accepted_probes += 1
            number += 1
            await asyncio.sleep(1 / PROBES_PER_SECOND)

    async def count_likes(client: httpx.AsyncClient) -> None:
        answer = await client.get(
            f"{probe_path}/likes", headers={"Accept": "application/activity+json"}
        )
        total = int(answer.json().get("totalItems", 0))
        now = time.time()
        while len(seen) < min(total, len(sent)):
            seen.append(now)

    async def likes(client: httpx.AsyncClient) -> None:
        while not done.is_set():
            await count_likes(client)
            await asyncio.sleep(0.025)

    async def queue() -> int:
        async with db.session() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(Activity)
                .where(Activity.direction == "in", Activity.state == "received")
            )
        return int(waiting or 0)

    async def backlogs() -> None:
        started = time.time()
        while not done.is_set():
            backlog.append((round(time.time() - started, 1), await queue()))
            await asyncio.sleep(0.5)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        tasks = [asyncio.create_task(t) for t in (probes(client), likes(client), backlogs())]
        loaded = await asyncio.to_thread(load, spec, work_dir)
        stopped = time.time()
        drained = None
        while time.time() - stopped < 30:
            if await queue() == 0:
                drained = round(time.time() - stopped, 1)
                break
            await asyncio.sleep(0.1)
        done.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        await count_likes(client)  # probes seen only now count with this late time
    async with db.session() as session:
        states = dict(
            (
                await session.execute(
                    select(Activity.state, func.count())
                    .where(Activity.direction == "in")
                    .group_by(Activity.state)
                )
            ).all()
        )
    await db.dispose()
    # A probe never seen counts as late as the end of the run.
    end = time.time()
    lags = [s - a for a, s in zip(sent, seen + [end] * (len(sent) - len(seen)), strict=True)]
    accepted = loaded["statuses"].get("202", 0) + accepted_probes
    processed = states.get("processed", 0) + states.get("ignored", 0)
    return {
        "load": loaded,
        "lags": lags,
        "lag_p50_s": percentile(lags, 0.5),
        "lag_p99_s": percentile(lags, 0.99),
        "backlog_peak": max((n for _, n in backlog), default=0),
        "backlog": backlog[:: max(1, len(backlog) // 12)],
        "drained_s": drained,
        "accepted": accepted,
        "processed": processed,
        "states": states,
        "lost": accepted - processed,
    }
