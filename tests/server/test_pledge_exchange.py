"""Two real Communs instances exchange pledges: Offer, Accept or Reject, Undo, progress."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import create_actor
from tests.realservers import DEADLINE, Instance, eventually, serve

pytestmark = pytest.mark.slow

AS2 = {"Accept": "application/activity+json"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def pledge_state(http: httpx.AsyncClient, b: Instance, token: str, pledge_id: str) -> str:
    listed = (await http.get(f"{b.base_url}/api/v1/pledges", headers=bearer(token))).json()
    return next(p["state"] for p in listed if p["id"] == pledge_id)


async def raised(http: httpx.AsyncClient, a: Instance, call_id: str) -> dict[str, Any]:
    return dict((await http.get(f"{a.base_url}/api/v1/funding-calls/{call_id}")).json())


async def test_pledges__offer_accept_reject_withdraw_between_real_instances(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given a funding call of alice on A, and bob on B who follows alice
        _, alice = await create_actor(a.app, "alice")
        _, bob = await create_actor(b.app, "bob", kind="company")
        call = (
            await http.post(
                f"{a.base_url}/api/v1/funding-calls",
                json={
                    "title": "Fund the maps",
                    "goal": {"amount": "1000.00", "currency": "EUR"},
                    "deadline": "2099-01-01",
                    "tags": ["maps"],
                },
                headers=bearer(alice),
            )
        ).json()
        await http.post(
            f"{b.base_url}/api/v1/follows",
            json={"target": f"alice@{a.domain}"},
            headers=bearer(bob),
        )

        async def following() -> bool:
            listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=bearer(bob))).json()
            return [f["state"] for f in listed] == ["accepted"]

        await eventually(following, what="alice to accept bob's follow")

        # When bob pledges 250 EUR through B
        response = await http.post(
            f"{b.base_url}/api/v1/pledges",
            json={
                "funding_call": call["uri"],
                "amount": {"amount": "250.00", "currency": "EUR"},
                "sector": "private",
                "message": "Count us in",
            },
            headers=bearer(bob),
        )
        assert response.status_code == 202, response.text
        offered = response.json()
        assert offered["state"] == "offered"

        # Then A accepts it, counts it, and B sees the pledge accepted
        async def accepted() -> bool:
            return await pledge_state(http, b, bob, offered["id"]) == "accepted"

        await eventually(accepted, what="A's Accept of the pledge")
        progress = await raised(http, a, call["id"])
        assert progress["raised"] == {"amount": "250.00", "currency": "EUR"}
        assert progress["raised_by_sector"]["private"] == "250.00"

        # And B's copy of the call shows the new progress (A sent an Update to followers)
        async def b_copy_updated() -> bool:
            entries = (
                await http.get(f"{b.base_url}/api/v1/directory", params={"type": "funding_call"})
            ).json()
            return any(
                e["raised"] == {"amount": "250.00", "currency": "EUR"} for e in entries["items"]
            )

        await eventually(b_copy_updated, what="B's copy of the call to show the progress")

        # When bob pledges a second, small amount
        small = (
            await http.post(
                f"{b.base_url}/api/v1/pledges",
                json={
                    "funding_call": call["uri"],
                    "amount": {"amount": "5.00", "currency": "EUR"},
                    "sector": "private",
                    "message": "",
                },
                headers=bearer(bob) | {"Idempotency-Key": "second"},
            )
        ).json()

        async def small_accepted() -> bool:
            return await pledge_state(http, b, bob, small["id"]) == "accepted"

        await eventually(small_accepted, what="A's Accept of the second pledge")

        # When bob withdraws his first pledge while the call is open
        withdrawn = await http.delete(
            f"{b.base_url}/api/v1/pledges/{offered['id']}", headers=bearer(bob)
        )
        assert withdrawn.status_code == 202 and withdrawn.json()["state"] == "withdrawn"

        # Then A no longer counts it
        async def recounted() -> bool:
            return (await raised(http, a, call["id"]))["raised"]["amount"] == "5.00"

        await eventually(recounted, what="A to apply the withdrawal")

        # When bob stops following alice (so B keeps its stale copy) and A cancels the call
        follows = (await http.get(f"{b.base_url}/api/v1/follows", headers=bearer(bob))).json()
        await http.delete(f"{b.base_url}/api/v1/follows/{follows[0]['id']}", headers=bearer(bob))

        async def unfollowed() -> bool:
            doc = (await http.get(f"{a.base_url}/actors/alice/followers", headers=AS2)).json()
            return doc["totalItems"] == 0

        await eventually(unfollowed, what="A to apply the Undo of the follow")
        cancelled = await http.patch(
            f"{a.base_url}/api/v1/funding-calls/{call['id']}",
            json={"status": "cancelled"},
            headers=bearer(alice),
        )
        assert cancelled.status_code == 200, cancelled.text

        # Then a new pledge from B is rejected by A, with the reason
        late = await http.post(
            f"{b.base_url}/api/v1/pledges",
            json={
                "funding_call": call["uri"],
                "amount": {"amount": "9.00", "currency": "EUR"},
                "sector": "public",
                "message": "",
            },
            headers=bearer(bob) | {"Idempotency-Key": "third"},
        )
        assert late.status_code == 202, late.text

        async def refused() -> str | None:
            state = await pledge_state(http, b, bob, late.json()["id"])
            return state if state != "offered" else None

        assert await eventually(refused, what="A's Reject") == "rejected"
        listed = (await http.get(f"{b.base_url}/api/v1/pledges", headers=bearer(bob))).json()
        assert "cancelled" in next(p["reason"] for p in listed if p["id"] == late.json()["id"])
        assert (await raised(http, a, call["id"]))["raised"]["amount"] == "5.00"
