"""Scenario 3, reads: the actor document and a project Note as AS2, 1 and 2 server processes.

``communs serve --workers N`` against a scratch database with one actor and one project; the
load generator GETs each document with ``Accept: application/activity+json`` on keep-alive
connections for a fixed time. Limit: ``bench.limits.bytes_app`` (a FastAPI route returning the
same bytes) under the same load and the same number of processes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.database import create_publisher
from bench.loadgen import LoadSpec, load
from bench.processes import communs, free_port, python, running, uvicorn_options
from bench.report import Report, describe
from schemas.commons import ProjectCreate
from server.domain.projects import create_project
from server.storage.db import Database
from server.storage.models import Actor
from server.urls import Urls

__all__ = ["ReadSizes", "Reads"]

TARGET = 0.70
ACCEPT = "application/activity+json"


@dataclass(frozen=True)
class ReadSizes:
    """How long each measurement lasts and how many connections it keeps busy."""

    seconds: float
    connections: int = 32
    processes: tuple[int, ...] = (1, 2)


def _get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {ACCEPT}\r\n\r\n".encode()


class Reads:
    """Runs the scenario per backend; each limit is measured right before its case."""

    def __init__(self, report: Report, work_dir: Path, sizes: ReadSizes) -> None:
        self.report = report
        self.work_dir = work_dir
        self.sizes = sizes

    def run(self, backend: str, database_url: str) -> None:
        """Measure both documents with 1 and 2 server processes, then compare to the limit."""
        section = self.report.section(f"reads [{backend}]")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        paths = asyncio.run(_seed(database_url, base_url))
        env = {
            "COMMUNS_DATABASE_URL": database_url,
            "COMMUNS_BASE_URL": base_url,
            "COMMUNS_RUN_WORKERS": "false",
            "COMMUNS_LOG_LEVEL": "warning",
        }
        for processes in self.sizes.processes:
            command = communs("serve", "--port", str(port), "--workers", str(processes))
            name = f"reads-serve-{backend}-{processes}"
            with running(name, command, env, self.work_dir, port=port):
                documents = {
                    doc: httpx.get(f"{base_url}{path}", headers={"Accept": ACCEPT}, timeout=30)
                    for doc, path in paths.items()
                }
                measured = {}
                for doc, path in paths.items():
                    documents[doc].raise_for_status()
                    measured[doc] = self._load(port, path)
            for doc in paths:
                limit = self._limit(backend, doc, documents[doc].content, processes)
                result = measured[doc]
                key = f"{doc}_{processes}"
                self.report.figure(
                    section,
                    key,
                    result,
                    f"{doc} ({len(documents[doc].content):,} bytes), {processes} process(es): "
                    + describe(result),
                )
                self.report.ratio(
                    section,
                    f"ratio_{key}",
                    result["rps"],
                    limit["rps"],
                    target=TARGET,
                    what=f"{doc} GET/s, {processes} process(es), vs bare bytes",
                )

    def _load(self, port: int, path: str) -> dict[str, Any]:
        spec = LoadSpec(
            port=port,
            requests=[_get(port, path)],
            connections=self.sizes.connections,
            duration=self.sizes.seconds,
        )
        return load(spec, self.work_dir)

    def _limit(self, backend: str, doc: str, content: bytes, processes: int) -> dict[str, Any]:
        port = free_port()
        body = self.work_dir / f"limit-{doc}.json"
        body.write_bytes(content)
        config = self.work_dir / f"bytes-limit-{doc}.json"
        config.write_text(json.dumps({"bytes": {doc: str(body)}}))
        command = python(
            "-m", "uvicorn", "bench.limits:bytes_app", *uvicorn_options(port, processes)
        )
        name = f"reads-limit-{doc}-{processes}"
        with running(name, command, {"BENCH_LIMIT": str(config)}, self.work_dir, port=port):
            result = self._load(port, f"/bytes/{doc}")
        self.report.limit(
            f"reads_{doc}_{processes}_{backend}",
            result,
            f"FastAPI route returning the same {doc} bytes, {processes} process(es): "
            + describe(result),
        )
        return result


async def _seed(database_url: str, base_url: str) -> dict[str, str]:
    """Create an actor with one project; return the paths of both documents."""
    db = Database(database_url)
    try:
        publisher = await create_publisher(db, base_url, "reader")
        async with db.session() as session:
            actor = await session.get(Actor, publisher.actor_id)
            assert actor is not None
            project = await create_project(
                session,
                Urls(base_url),
                actor,
                ProjectCreate(
                    name="Commons Cloud",
                    summary="A cooperative cloud for public bodies.",
                    description="Hosting *for* and **by** the commons.",
                    license="AGPL-3.0-or-later",
                    repository_url="https://code.example/commons-cloud",
                    tags=["commons", "cloud"],
                ),
            )
            await session.commit()  # create_project leaves the commit to its caller
        return {"actor": "/actors/reader", "note": f"/projects/{project.id}"}
    finally:
        await db.dispose()
