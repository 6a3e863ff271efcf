"""Admins (and the sending actor) see each activity's deliveries and can retry failed ones."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from schemas.states import DeliveryState
from server.publishing.outbox import new_activity, publish
from server.storage.models import Delivery
from tests.conftest import create_actor
from tests.server.test_cli import run


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def failed_delivery(app: FastAPI, username: str) -> tuple[str, str]:
    """Publish an activity of ``username`` whose one delivery failed; return (uri, token)."""
    actor, token = await create_actor(app, username)
    state = app.state.communs
    async with state.db.session() as session:
        document = new_activity(state.urls, "Create", actor, {"type": "Note", "content": "x"})
        activity = await publish(session, actor, document, inboxes=["https://gone.example/inbox"])
        await session.flush()
        await session.execute(
            update(Delivery).values(
                state=DeliveryState.failed, attempts=1, last_status=410, last_error="Gone"
            )
        )
        await session.commit()
    return activity.uri, token


async def test_deliveries__admin_sees_state_attempts_and_errors(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    uri, _ = await failed_delivery(app, "coop")
    response = await client.get(
        "/api/v1/deliveries", params={"activity": uri}, headers=bearer(admin_token)
    )
    assert response.status_code == 200
    [row] = response.json()
    assert row["activity"] == uri and row["inbox"] == "https://gone.example/inbox"
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == (
        "failed",
        1,
        410,
        "Gone",
    )
    assert (
        await client.get(
            "/api/v1/deliveries", params={"state": "pending"}, headers=bearer(admin_token)
        )
    ).json() == []


async def test_deliveries__paged_with_a_link_to_the_next_page(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    # Given three failed deliveries
    for username in ("coop", "asso", "region"):
        await failed_delivery(app, username)

    # When an admin reads them two at a time
    first = await client.get("/api/v1/deliveries", params={"limit": 2}, headers=bearer(admin_token))
    second = await client.get(first.links["next"]["url"], headers=bearer(admin_token))

    # Then the pages hold all three, newest first, and the last names no next page
    ids = [row["id"] for row in first.json() + second.json()]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert "link" not in second.headers
    # And a cursor past 64 bits is a 422, not a database error
    too_far = {"cursor": 2**64}
    assert (
        await client.get("/api/v1/deliveries", params=too_far, headers=bearer(admin_token))
    ).status_code == 422


async def test_deliveries__an_actor_sees_only_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, coop = await failed_delivery(app, "coop")
    _, other = await create_actor(app, "other")
    assert len((await client.get("/api/v1/deliveries", headers=bearer(coop))).json()) == 1
    assert (await client.get("/api/v1/deliveries", headers=bearer(other))).json() == []
    assert (await client.get("/api/v1/deliveries")).status_code == 401


async def test_deliveries__retry_puts_failed_ones_back(
    app: FastAPI, client: httpx.AsyncClient, admin_token: str
) -> None:
    _, token = await failed_delivery(app, "coop")
    [row] = (await client.get("/api/v1/deliveries", headers=bearer(token))).json()
    response = await client.post(f"/api/v1/deliveries/{row['id']}/retry", headers=bearer(token))
    assert response.status_code == 200 and response.json() == {"retried": 1}
    [row] = (await client.get("/api/v1/deliveries", headers=bearer(admin_token))).json()
    assert (row["state"], row["attempts"]) == ("pending", 0)
    again = await client.post(f"/api/v1/deliveries/{row['id']}/retry", headers=bearer(token))
    assert again.status_code == 404


async def test_deliveries__cli_lists_and_retries(app: FastAPI, database_url: str) -> None:
    uri, _ = await failed_delivery(app, "coop")
    listed = run("deliveries", "--activity", uri, COMMUNS_DATABASE_URL=database_url)
    assert listed.returncode == 0, listed.stderr
    assert (
        "failed" in listed.stdout
        and "https://gone.example/inbox" in listed.stdout
        and "410" in listed.stdout
    )
    retried = run("deliveries", "--retry", COMMUNS_DATABASE_URL=database_url)
    assert retried.returncode == 0 and retried.stdout.startswith("1 ")
    assert "pending" in run("deliveries", COMMUNS_DATABASE_URL=database_url).stdout
