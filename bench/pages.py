"""Scenario 6, pages: a funding call's page with 1 000 pledges, and its actor's profile.

``communs serve`` over a scratch database holding a local actor with 20 projects, 20 calls
and one call with 1 000 pledges; the load generator GETs each page as a browser would
(``Accept: text/html``), 32 connections, for a fixed time: first as anonymous visitors (the
page cache answers), then with a cookie (someone's own view: rendered every time, figures
only). Limit: ``bench.limits.page_app``, a FastAPI route rendering the same template with the
same data, loaded once (the Jinja render alone). Target: anonymous visitors ≥ 50 %.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench.database import create_publisher
from bench.loadgen import LoadSpec, load
from bench.processes import communs, free_port, python, running, uvicorn_options
from bench.reads import ReadSizes
from bench.report import Report, describe
from schemas.commons import FundingCallCreate, ProjectCreate
from server.clock import Clock
from server.domain.funding import create_funding_call
from server.domain.projects import create_project
from server.storage.db import Database
from server.storage.models import Actor, Pledge
from server.urls import Urls, new_id

__all__ = ["Pages"]

TARGET = 0.50
USERNAME = "pages"
PLEDGES = 1000


def _get(port: int, path: str, cookie: bool) -> bytes:
    extra = "Cookie: session=bench\r\n" if cookie else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n{extra}\r\n"
    ).encode()


class Pages:
    """Runs the scenario per backend, the limit measured right after the server."""

    def __init__(self, report: Report, work_dir: Path, sizes: ReadSizes) -> None:
        self.report = report
        self.work_dir = work_dir
        self.sizes = sizes

    def run(self, backend: str, database_url: str) -> None:
        """Seed, then measure both pages anonymous and personal, then the bare render."""
        section = self.report.section(f"pages [{backend}]")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        call_id = asyncio.run(_seed(database_url, base_url))
        paths = {"call": f"/funding-calls/{call_id}", "profile": f"/@{USERNAME}"}
        env = {
            "COMMUNS_DATABASE_URL": database_url,
            "COMMUNS_BASE_URL": base_url,
            "COMMUNS_RUN_WORKERS": "false",
            "COMMUNS_LOG_LEVEL": "warning",
        }
        measured: dict[str, dict[str, Any]] = {}
        command = communs("serve", "--port", str(port))
        with running(f"pages-serve-{backend}", command, env, self.work_dir, port=port):
            for page, path in paths.items():
                size = len(httpx.get(base_url + path, headers={"Accept": "text/html"}).content)
                for who, cookie in (("anonymous", False), ("personal", True)):
                    result = self._load(port, path, cookie)
                    measured[f"{page}_{who}"] = result
                    self.report.figure(
                        section,
                        f"{page}_{who}",
                        result,
                        f"{page} page ({size:,} bytes), {who}: " + describe(result),
                    )
        limit = self._limit(backend, database_url, base_url, call_id)
        for page in paths:
            self.report.ratio(
                section,
                f"ratio_{page}",
                measured[f"{page}_anonymous"]["rps"],
                limit[page]["rps"],
                target=TARGET,
                what=f"{page} page GET/s, anonymous, vs the bare Jinja render",
            )
            personal = measured[f"{page}_personal"]["rps"] / limit[page]["rps"]
            self.report.figure(
                section,
                f"personal_{page}",
                round(personal, 3),
                f"{page} page rendered for each request (cookie): {personal:.0%} of the bare "
                "render (no target: a cache miss costs this)",
            )

    def _load(self, port: int, path: str, cookie: bool) -> dict[str, Any]:
        spec = LoadSpec(
            port=port,
            requests=[_get(port, path, cookie)],
            connections=self.sizes.connections,
            duration=self.sizes.seconds,
        )
        return load(spec, self.work_dir)

    def _limit(
        self, backend: str, database_url: str, base_url: str, call_id: str
    ) -> dict[str, dict[str, Any]]:
        port = free_port()
        config = self.work_dir / "page-limit.json"
        config.write_text(
            json.dumps(
                {
                    "database_url": database_url,
                    "base_url": base_url,
                    "username": USERNAME,
                    "call_id": call_id,
                }
            )
        )
        command = python("-m", "uvicorn", "bench.limits:page_app", *uvicorn_options(port))
        results = {}
        with running(
            "pages-limit", command, {"BENCH_LIMIT": str(config)}, self.work_dir, port=port
        ):
            for page in ("call", "profile"):
                result = self._load(port, f"/render/{page}", False)
                results[page] = result
                self.report.limit(
                    f"pages_{page}_{backend}",
                    result,
                    f"the {page} page's template rendered with its data: " + describe(result),
                )
        return results


async def _seed(database_url: str, base_url: str) -> str:
    """Create the actor, 20 projects, 20 calls, and 1 000 pledges on the last call."""
    db = Database(database_url)
    urls = Urls(base_url)
    today = Clock().today()
    try:
        publisher = await create_publisher(db, base_url, USERNAME)
        async with db.session() as session:
            actor = await session.get(Actor, publisher.actor_id)
            assert actor is not None
            call = None
            for n in range(20):
                project = await create_project(
                    session,
                    urls,
                    actor,
                    ProjectCreate(name=f"Projet {n}", summary="Un commun.", license="MIT"),
                )
                call = await create_funding_call(
                    session,
                    urls,
                    actor,
                    FundingCallCreate.model_validate(
                        {
                            "title": f"Appel {n}",
                            "summary": "Financer un commun.",
                            "project_id": project.id,
                            "goal": {"amount": "1000000.00", "currency": "EUR"},
                            "deadline": (today + timedelta(days=60)).isoformat(),
                        }
                    ),
                    today=today,
                )
            await session.commit()
            assert call is not None
            pledges = [
                {
                    "id": (pledge_id := new_id()),
                    "uri": urls.url(f"/pledges/{pledge_id}"),
                    "funding_call_id": call.id,
                    "funder_name": f"Fondation n° {k}",
                    "sector": ["public", "private", "civil_society", "individual"][k % 4],
                    "amount_minor": 1000 + k,
                    "currency": "EUR",
                    "message": "Pour le commun !",
                    "state": "accepted",
                }
                for k in range(PLEDGES)
            ]
            await session.execute(insert(Pledge), pledges)
            await session.commit()
            return call.id
    finally:
        await db.dispose()
