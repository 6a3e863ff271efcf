"""Inbox endpoints: authenticate, de-duplicate, store and answer 202 (processing is async)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from federation.inbox import accept_activity
from server.actors import get_local_actor
from server.db import utcnow
from server.deps import SessionDep, StateDep
from server.metrics import INBOX_REQUESTS
from server.signatures import read_body, received_url

router = APIRouter(include_in_schema=False)


@router.post("/inbox")
async def shared_inbox(request: Request, state: StateDep) -> JSONResponse:
    """The shared inbox."""
    return await _accept(request, state)


@router.post("/actors/{username}/inbox")
async def actor_inbox(
    username: str, request: Request, state: StateDep, session: SessionDep
) -> JSONResponse:
    """A personal inbox (404 for unknown actors)."""
    await get_local_actor(session, username)
    await session.close()
    return await _accept(request, state)


async def _accept(request: Request, state: StateDep) -> JSONResponse:
    body = await read_body(request)
    federation = state.federation
    outcome = await accept_activity(
        method=request.method,
        url=received_url(request, state.urls.base),
        headers=request.headers,
        body=body,
        now=utcnow(),
        resolver=federation.resolver,
        actors=federation.store,
        store=federation.store,
    )
    INBOX_REQUESTS.labels(outcome.reason).inc()
    if outcome.status == 202:
        federation.wake_inbox()
    return JSONResponse({"detail": outcome.detail or outcome.reason}, status_code=outcome.status)
