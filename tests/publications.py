"""Helpers for the project and funding-call tests: tokens, bodies, published activities."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from schemas.states import FollowState
from server.clock import utcnow
from server.storage.models import Activity, Actor, Follow

AS2_ACCEPT = {"Accept": "application/activity+json"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    """Return the headers of an authenticated request, with an ``Idempotency-Key`` if given."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def in_days(days: int) -> str:
    """Return the ISO date ``days`` after today (UTC)."""
    return (utcnow().date() + timedelta(days=days)).isoformat()


def call_body(**fields: Any) -> dict[str, Any]:
    """Return a valid funding-call body, with ``fields`` replacing defaults."""
    body: dict[str, Any] = {
        "title": "Co-fund Commons Cloud",
        "summary": "Two developers for a year.",
        "description": "We need **you**.",
        "goal": {"amount": "50000.00", "currency": "EUR"},
        "deadline": in_days(90),
        "tags": ["cloud", "Commons"],
    }
    body.update(fields)
    return body


def project_body(**fields: Any) -> dict[str, Any]:
    """Return a valid project body, with ``fields`` replacing defaults."""
    body: dict[str, Any] = {
        "name": "Commons Cloud",
        "summary": "A cooperative cloud.",
        "description": "Runs on *free software*.",
        "license": "AGPL-3.0-or-later",
        "repository_url": "https://code.example/cloud",
        "website_url": "https://cloud.example",
        "tags": ["cloud"],
        "status": "active",
    }
    body.update(fields)
    return body


def pledge_body(amount: Any = "12500.00", **fields: Any) -> dict[str, Any]:
    """Return a valid pledge by an offline funder (``amount`` in EUR unless a whole object)."""
    body: dict[str, Any] = {
        "amount": amount if isinstance(amount, dict) else {"amount": amount, "currency": "EUR"},
        "sector": "public",
        "message": "Good luck!",
        "funder_name": "Région Auvergne-Rhône-Alpes",
    }
    body.update(fields)
    return body


def offer_body(call_uri: str, amount: str = "10.00", sector: str = "private") -> dict[str, Any]:
    """Return a pledge the token's actor makes itself (``POST /api/v1/pledges``), in EUR."""
    money = {"amount": amount, "currency": "EUR"}
    return {"funding_call": call_uri, "amount": money, "sector": sector}


async def post_call(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    """Create a funding call through the API and return its JSON."""
    response = await client.post(
        "/api/v1/funding-calls", json=call_body(**fields), headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def post_project(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    """Create a project through the API and return its JSON."""
    response = await client.post(
        "/api/v1/projects", json=project_body(**fields), headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def sent(app: FastAPI, object_uri: str | None = None) -> list[dict[str, Any]]:
    """Return the outgoing activities (about ``object_uri`` if given), oldest first."""
    query = select(Activity).where(col(Activity.direction) == "out")
    if object_uri is not None:
        query = query.where(col(Activity.object_uri) == object_uri)
    async with app.state.communs.db.session() as session:
        rows = (await session.execute(query.order_by(col(Activity.created_at)))).scalars().all()
    return [json.loads(row.body) for row in rows]


def today() -> date:
    return utcnow().date()


async def follow_from(app: FastAPI, followed: Actor, inbox_base: str) -> None:
    """Store a remote actor whose inbox is the recorder, as an accepted follower."""
    host = urlsplit(inbox_base).netloc
    async with app.state.communs.db.session() as session:
        remote = Actor(
            uri=f"{inbox_base}/users/bob",
            username="bob",
            domain=host,
            type="Person",
            inbox_uri=f"{inbox_base}/users/bob/inbox",
            shared_inbox_uri=f"{inbox_base}/inbox",
        )
        session.add(remote)
        await session.flush()
        session.add(
            Follow(
                uri=f"{inbox_base}/follows/1",
                follower_id=remote.id or 0,
                followed_id=followed.id or 0,
                state=FollowState.accepted,
            )
        )
        await session.commit()
