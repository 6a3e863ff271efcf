"""A call's figures under concurrency: a real server on 127.0.0.1, many requests at once.

Each test sends at least 40 HTTP requests together to a real uvicorn server and checks that
the stored total equals the sum of the accepted pledges, and the figure of the last ``Update``
a real follower's inbox received.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from schemas.states import PledgeState
from server.storage.models import FundingCall, Pledge
from tests.conftest import create_actor
from tests.publications import bearer, call_body, follow_from, pledge_body
from tests.realservers import DEADLINE, Instance, RecordingInbox, eventually, recording_inbox, serve

pytestmark = pytest.mark.slow


def ten_euros(call_uri: str) -> dict[str, Any]:
    return {
        "funding_call": call_uri,
        "amount": {"amount": "10.00", "currency": "EUR"},
        "sector": "private",
    }


async def accepted_sum(instance: Instance, call_id: str) -> tuple[int, int]:
    """Return the stored ``raised`` and the sum of accepted pledges, in minor units."""
    async with instance.app.state.communs.db.session() as session:
        stored = await session.scalar(
            select(FundingCall.raised_minor).where(FundingCall.id == call_id)
        )
        total = await session.scalar(
            select(func.coalesce(func.sum(Pledge.amount_minor), 0)).where(
                Pledge.funding_call_id == call_id, Pledge.state == PledgeState.accepted
            )
        )
    return int(stored or 0), int(total or 0)


def updates_of(recorder: RecordingInbox, call_uri: str) -> list[dict[str, Any]]:
    """The Notes of the call's Updates the follower received, in order of ``updated``."""
    activities = [json.loads(body) for _, _, body in recorder.bodies]
    notes = [a["object"] for a in activities if a["type"] == "Update"]
    notes = [n for n in notes if n["id"] == call_uri]
    return sorted(notes, key=lambda n: n["updated"])


async def received(recorder: RecordingInbox, count: int) -> None:
    async def arrived() -> bool:
        return len(recorder.bodies) >= count

    await eventually(arrived, what=f"{count} deliveries to the follower")


async def test_pledges__40_at_once_are_all_counted_and_the_last_update_says_so(
    database_url: str,
) -> None:
    async with (
        recording_inbox() as (recorder, inbox_base),
        serve(database_url) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=DEADLINE * 3) as http,
    ):
        # Given a call of 100.00 EUR followed from a real inbox, and 8 actors with tokens
        owner, owner_token = await create_actor(server.app, "coop")
        await follow_from(server.app, owner, inbox_base)
        goal = {"amount": "100.00", "currency": "EUR"}
        made = await http.post(
            "/api/v1/funding-calls", json=call_body(goal=goal), headers=bearer(owner_token)
        )
        call = made.json()
        tokens = [(await create_actor(server.app, f"funder{n}"))[1] for n in range(8)]

        # When the 8 actors send 40 pledges of 10.00 together, and the owner records 10 more
        requests = [
            http.post("/api/v1/pledges", json=ten_euros(call["uri"]), headers=bearer(tokens[n % 8]))
            for n in range(40)
        ] + [
            http.post(
                f"/api/v1/funding-calls/{call['id']}/pledges",
                json=pledge_body("10.00", funder_name=f"Region {n}"),
                headers=bearer(owner_token),
            )
            for n in range(10)
        ]
        answers = await asyncio.gather(*requests)

        # Then every pledge is accepted and counted
        assert [a.status_code for a in answers] == [202] * 40 + [201] * 10, answers[0].text
        stored, accepted = await accepted_sum(server, call["id"])
        assert stored == accepted == 50_000
        # And the follower got exactly one Update per pledge, each later than the one before,
        # with figures that only go up and end at the stored total
        await received(recorder, 1 + 50)
        updates = updates_of(recorder, call["uri"])
        assert len(updates) == 50 and len({u["updated"] for u in updates}) == 50
        figures = [u["raised"]["value"] for u in updates]
        assert figures == [f"{10 * n}.00" for n in range(1, 51)]
        assert updates[-1]["status"] == "funded"
        read = (await http.get(f"/api/v1/funding-calls/{call['id']}")).json()
        assert read["raised"]["amount"] == "500.00" == updates[-1]["raised"]["value"]


async def test_cancel__racing_pledges_stays_cancelled_and_whole(database_url: str) -> None:
    async with (
        recording_inbox() as (recorder, inbox_base),
        serve(database_url) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=DEADLINE * 3) as http,
    ):
        owner, owner_token = await create_actor(server.app, "coop")
        await follow_from(server.app, owner, inbox_base)
        tokens = [(await create_actor(server.app, f"funder{n}"))[1] for n in range(8)]
        sent = 0
        for trial in range(3):
            # Given an open call of 100.00 EUR
            goal = {"amount": "100.00", "currency": "EUR"}
            made = await http.post(
                "/api/v1/funding-calls", json=call_body(goal=goal), headers=bearer(owner_token)
            )
            call = made.json()
            # When 40 pledges race a cancellation sent in their midst
            pledges = [
                http.post(
                    "/api/v1/pledges", json=ten_euros(call["uri"]), headers=bearer(tokens[n % 8])
                )
                for n in range(40)
            ]
            cancel = http.patch(
                f"/api/v1/funding-calls/{call['id']}",
                json={"status": "cancelled"},
                headers=bearer(owner_token),
            )
            answers = await asyncio.gather(*pledges[:20], cancel, *pledges[20:])
            cancelled = answers[20]
            pledged = answers[:20] + answers[21:]

            # Then the cancellation answered 200 and the call stays cancelled
            assert cancelled.status_code == 200, (trial, cancelled.text)
            read = (await http.get(f"/api/v1/funding-calls/{call['id']}")).json()
            assert read["status"] == "cancelled", trial
            # And each pledge was either counted before it, or refused after it
            assert {a.status_code for a in pledged} <= {202, 409}
            counted = sum(a.status_code == 202 for a in pledged)
            stored, accepted = await accepted_sum(server, call["id"])
            assert stored == accepted == counted * 1000
            # And the follower's last Update says cancelled, with the stored figure
            sent += 1 + counted + 1
            await received(recorder, sent)
            updates = updates_of(recorder, call["uri"])
            assert len(updates) == counted + 1
            assert updates[-1]["status"] == "cancelled"
            assert updates[-1]["raised"]["value"] == read["raised"]["amount"]


async def test_withdraw__20_at_once_withdraw_once_and_send_one_update(database_url: str) -> None:
    async with (
        recording_inbox() as (recorder, inbox_base),
        serve(database_url) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=DEADLINE * 3) as http,
    ):
        # Given a pledge of 10.00 and one of 20.00 on a followed call
        owner, owner_token = await create_actor(server.app, "coop")
        await follow_from(server.app, owner, inbox_base)
        _, token = await create_actor(server.app, "region")
        call = (
            await http.post("/api/v1/funding-calls", json=call_body(), headers=bearer(owner_token))
        ).json()
        first = (
            await http.post("/api/v1/pledges", json=ten_euros(call["uri"]), headers=bearer(token))
        ).json()
        twenty = ten_euros(call["uri"]) | {"amount": {"amount": "20.00", "currency": "EUR"}}
        await http.post("/api/v1/pledges", json=twenty, headers=bearer(token))

        # When the first one is withdrawn 40 times at once
        answers = await asyncio.gather(
            *(
                http.delete(f"/api/v1/pledges/{first['id']}", headers=bearer(token))
                for _ in range(40)
            )
        )

        # Then one withdrawal answers 202 and every other one 409
        codes = sorted(a.status_code for a in answers)
        assert codes == [202] + [409] * 39
        # And the call counts only the other pledge, as the single Update of the withdrawal says
        stored, accepted = await accepted_sum(server, call["id"])
        assert stored == accepted == 2000
        await received(recorder, 1 + 2 + 1)
        await asyncio.sleep(0.5)  # nothing more arrives
        updates = updates_of(recorder, call["uri"])
        assert [u["raised"]["value"] for u in updates] == ["10.00", "30.00", "20.00"]
