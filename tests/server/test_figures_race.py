"""A call's figures under concurrency: a real server on 127.0.0.1, many requests at once.

Each test sends at least 40 HTTP requests together to a real uvicorn server and checks that
the stored total equals the sum of the accepted pledges, and the figure of the last ``Update``
a real follower's inbox received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from schemas.states import PledgeState
from server.storage.models import FundingCall, Pledge
from tests.conftest import create_actor
from tests.publications import bearer, call_body, follow_from, offer_body, pledge_body
from tests.realservers import DEADLINE, Instance, RecordingInbox, eventually, recording_inbox, serve

pytestmark = pytest.mark.slow


@dataclass
class Stage:
    """A real server, coop with a real follower's inbox, 8 other actors, and an HTTP client."""

    server: Instance
    http: httpx.AsyncClient
    follower: RecordingInbox
    owner: str
    funders: list[str]

    async def open_call(self, goal: str = "100.00") -> dict[str, Any]:
        body = call_body(goal={"amount": goal, "currency": "EUR"})
        made = await self.http.post("/api/v1/funding-calls", json=body, headers=bearer(self.owner))
        assert made.status_code == 201, made.text
        return dict(made.json())

    def pledge(self, call: dict[str, Any], n: int, amount: str = "10.00") -> Any:
        """Send (not awaited) a pledge of ``amount`` by funder ``n % 8``, with its own token."""
        headers = bearer(self.funders[n % len(self.funders)])
        return self.http.post(
            "/api/v1/pledges", json=offer_body(call["uri"], amount), headers=headers
        )

    async def figures(self, call: dict[str, Any]) -> tuple[int, int]:
        """Return the stored ``raised`` and the sum of accepted pledges, in minor units."""
        async with self.server.app.state.communs.db.session() as session:
            stored = await session.scalar(
                select(FundingCall.raised_minor).where(FundingCall.id == call["id"])
            )
            total = await session.scalar(
                select(func.coalesce(func.sum(Pledge.amount_minor), 0)).where(
                    Pledge.funding_call_id == call["id"], Pledge.state == PledgeState.accepted
                )
            )
        return int(stored or 0), int(total or 0)

    async def updates(self, call: dict[str, Any], *, deliveries: int) -> list[dict[str, Any]]:
        """Wait for ``deliveries`` in all; return the call's Updates received, by ``updated``."""

        async def arrived() -> bool:
            return len(self.follower.bodies) >= deliveries

        await eventually(arrived, what=f"{deliveries} deliveries to the follower")
        activities = [json.loads(body) for _, _, body in self.follower.bodies]
        notes = [a["object"] for a in activities if a["type"] == "Update"]
        return sorted((n for n in notes if n["id"] == call["uri"]), key=lambda n: n["updated"])


@contextlib.asynccontextmanager
async def stage(database_url: str) -> AsyncIterator[Stage]:
    async with (
        recording_inbox() as (follower, inbox_base),
        serve(database_url) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=DEADLINE * 3) as http,
    ):
        owner, token = await create_actor(server.app, "coop")
        await follow_from(server.app, owner, inbox_base)
        funders = [(await create_actor(server.app, f"funder{n}"))[1] for n in range(8)]
        yield Stage(server, http, follower, token, funders)


async def test_pledges__40_at_once_are_all_counted_and_the_last_update_says_so(
    database_url: str,
) -> None:
    async with stage(database_url) as on:
        # Given a call of 100.00 EUR followed from a real inbox
        call = await on.open_call()

        # When 8 actors send 40 pledges of 10.00 together, and the owner records 10 more
        recorded = [
            on.http.post(
                f"/api/v1/funding-calls/{call['id']}/pledges",
                json=pledge_body("10.00", funder_name=f"Region {n}"),
                headers=bearer(on.owner),
            )
            for n in range(10)
        ]
        answers = await asyncio.gather(*(on.pledge(call, n) for n in range(40)), *recorded)

        # Then every pledge is accepted and counted
        assert [a.status_code for a in answers] == [202] * 40 + [201] * 10, answers[0].text
        assert await on.figures(call) == (50_000, 50_000)
        # And the follower got exactly one Update per pledge, each later than the one before,
        # with figures that only go up and end at the stored total
        updates = await on.updates(call, deliveries=1 + 50)
        assert len(updates) == 50 and len({u["updated"] for u in updates}) == 50
        assert [u["raised"]["value"] for u in updates] == [f"{10 * n}.00" for n in range(1, 51)]
        assert updates[-1]["status"] == "funded"
        read = (await on.http.get(f"/api/v1/funding-calls/{call['id']}")).json()
        assert read["raised"]["amount"] == "500.00" == updates[-1]["raised"]["value"]


async def test_cancel__racing_pledges_stays_cancelled_and_whole(database_url: str) -> None:
    async with stage(database_url) as on:
        deliveries = 0
        for trial in range(3):
            # Given an open call of 100.00 EUR
            call = await on.open_call()
            # When 40 pledges race a cancellation sent in their midst
            pledges = [on.pledge(call, n) for n in range(40)]
            cancel = on.http.patch(
                f"/api/v1/funding-calls/{call['id']}",
                json={"status": "cancelled"},
                headers=bearer(on.owner),
            )
            answers = await asyncio.gather(*pledges[:20], cancel, *pledges[20:])
            cancelled, pledged = answers[20], answers[:20] + answers[21:]

            # Then the cancellation answered 200 and the call stays cancelled
            assert cancelled.status_code == 200, (trial, cancelled.text)
            read = (await on.http.get(f"/api/v1/funding-calls/{call['id']}")).json()
            assert read["status"] == "cancelled", trial
            # And each pledge was either counted before it, or refused after it
            assert {a.status_code for a in pledged} <= {202, 409}
            counted = sum(a.status_code == 202 for a in pledged)
            assert await on.figures(call) == (counted * 1000, counted * 1000)
            # And the follower's last Update says cancelled, with the stored figure
            deliveries += 1 + counted + 1
            updates = await on.updates(call, deliveries=deliveries)
            assert len(updates) == counted + 1
            assert updates[-1]["status"] == "cancelled"
            assert updates[-1]["raised"]["value"] == read["raised"]["amount"]


async def test_withdraw__40_at_once_withdraw_once_and_send_one_update(database_url: str) -> None:
    async with stage(database_url) as on:
        # Given a pledge of 10.00 and one of 20.00 on a followed call
        call = await on.open_call("50000.00")
        first = (await on.pledge(call, 0)).json()
        await on.pledge(call, 0, "20.00")

        # When the first one is withdrawn 40 times at once
        withdraw = f"/api/v1/pledges/{first['id']}"
        answers = await asyncio.gather(
            *(on.http.delete(withdraw, headers=bearer(on.funders[0])) for _ in range(40))
        )

        # Then one withdrawal answers 202 and every other one 409
        assert sorted(a.status_code for a in answers) == [202] + [409] * 39
        # And the call counts only the other pledge, as the single Update of the withdrawal says
        assert await on.figures(call) == (2000, 2000)
        await asyncio.sleep(0.5)  # nothing more arrives
        updates = await on.updates(call, deliveries=1 + 2 + 1)
        assert [u["raised"]["value"] for u in updates] == ["10.00", "30.00", "20.00"]
