"""Two real instances on 127.0.0.1 follow each other over real HTTP, workers and all.

bob on B follows alice on A: B resolves alice by WebFinger, delivers a signed Follow; A fetches
bob's key from B, verifies, stores, and its worker answers a signed Accept, which B verifies in
turn. Then bob unfollows, and A's worker applies the Undo. Host headers, content lengths, the
aiohttp transport and timing only show over real sockets (docs/architecture.md, "Testing").
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import create_actor
from tests.realservers import DEADLINE, eventually, serve

pytestmark = pytest.mark.slow

AS2_ACCEPT = {"Accept": "application/activity+json"}


async def followers_of(http: httpx.AsyncClient, actor_uri: str) -> tuple[int, list[str]]:
    """Return the totalItems of an actor's followers collection and its first page's items."""
    collection = (await http.get(f"{actor_uri}/followers", headers=AS2_ACCEPT)).json()
    first = collection["first"]
    page = (await http.get(first, headers=AS2_ACCEPT)).json() if isinstance(first, str) else first
    return collection["totalItems"], page.get("orderedItems", [])


async def test_follow__accepted_and_undone_between_real_servers(
    database_url: str, second_database_url: str
) -> None:
    async with (
        serve(database_url) as a,
        serve(second_database_url) as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given alice on A and bob on B
        await create_actor(a.app, "alice")
        _, bob_token = await create_actor(b.app, "bob")
        alice_uri, bob_uri = f"{a.base_url}/actors/alice", f"{b.base_url}/actors/bob"
        auth = {"Authorization": f"Bearer {bob_token}"}

        # When bob follows alice through B's API
        response = await http.post(
            f"{b.base_url}/api/v1/follows", json={"target": f"alice@{a.domain}"}, headers=auth
        )

        # Then the follow is pending, until A's signed Accept reaches B
        assert response.status_code == 202, response.text
        follow = response.json()
        assert follow["state"] == "pending" and follow["actor"] == alice_uri

        async def follow_state() -> str | None:
            listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=auth)).json()
            states = [f["state"] for f in listed if f["id"] == follow["id"]]
            return states[0] if states == ["accepted"] else None

        await eventually(follow_state, what="B to record A's Accept")

        # And A lists bob among alice's followers
        assert await followers_of(http, alice_uri) == (1, [bob_uri])

        # When bob unfollows
        response = await http.delete(f"{b.base_url}/api/v1/follows/{follow['id']}", headers=auth)
        assert response.status_code == 204

        # Then A's worker applies the signed Undo
        async def no_followers() -> bool:
            total, items = await followers_of(http, alice_uri)
            return total == 0 and items == []

        await eventually(no_followers, what="A to apply bob's Undo")
        listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=auth)).json()
        assert listed == []
