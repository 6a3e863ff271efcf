"""The front door: the fediverse's frequent requests, answered before FastAPI's router.

Remote servers post to inboxes and fetch actors and Notes far more often than anyone uses the
API, and FastAPI's routing and dependency solving cost more than the work itself (inbox POSTs
and cached reads, docs/performance.md). As Fedify's framework integrations do, this ASGI layer
answers those requests itself — inbox POSTs always, AS2 GETs when the document cache holds the
bytes — and hands everything else, every cache miss included, to the application unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable
from functools import lru_cache

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.inbox import accept_activity
from server.actors import get_local_actor
from server.db import utcnow
from server.deps import AppState, wants_as2
from server.doccache import actor_key, note_key
from server.errors import ServiceError
from server.etags import with_etag
from server.metrics import INBOX_REQUESTS
from server.responses import AS2Response, error_response
from server.signatures import read_body, received_url, signed_get_refusal

__all__ = ["FrontDoor"]

_INBOX = re.compile(r"/(?:actors/(?P<username>[^/]+)/)?inbox")
_ACTOR = re.compile(r"/actors/(?P<username>[^/]+)")
_NOTE = re.compile(r"/(?:projects|funding-calls)/[^/]+")


class FrontDoor:
    """ASGI middleware serving inbox POSTs and cached AS2 documents directly."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            response: Response | None = None
            if method == "POST" and (inbox := _INBOX.fullmatch(path)) is not None:
                response = await _answer(inbox_post(Request(scope, receive), inbox["username"]))
            elif method == "GET":
                response = await _answer(cached_document(Request(scope, receive), path))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _answer(handler: Awaitable[Response | None]) -> Response | None:
    """Await a handler, turning the errors FastAPI would have handled into their JSON answer."""
    try:
        return await handler
    except ServiceError as exc:
        return error_response(exc.status, exc.detail)
    except HTTPException as exc:
        return error_response(exc.status_code, exc.detail, exc.headers)


async def inbox_post(request: Request, username: str | None) -> Response:
    """Authenticate, de-duplicate and store one activity; processing happens in a worker."""
    state: AppState = request.app.state.communs
    if username is not None:  # a personal inbox: 404 for actors we do not host
        async with state.db.session() as session:
            await get_local_actor(session, username)
    body = await read_body(request)
    federation = state.federation
    outcome = await accept_activity(
        method="POST",
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
    return Response(
        _detail_json(outcome.detail or outcome.reason),
        status_code=outcome.status,
        media_type="application/json",
    )


@lru_cache(maxsize=256)
def _detail_json(detail: str) -> bytes:
    """Return ``{"detail": …}`` rendered once: most answers are one of a few words."""
    return json.dumps({"detail": detail}).encode()


async def cached_document(request: Request, path: str) -> Response | None:
    """Return the cached actor or Note an AS2 GET of ``path`` asks for (None: routes build it)."""
    if (actor := _ACTOR.fullmatch(path)) is not None:
        key = actor_key(actor["username"])
    elif _NOTE.fullmatch(path) is not None:
        key = note_key(path)
    else:
        return None
    state: AppState = request.app.state.communs
    body = state.documents.get(key) if wants_as2(request) else None
    if body is None:
        return None
    if state.settings.authorized_fetch:
        refusal = await signed_get_refusal(
            state, received_url(request, state.urls.base), request.headers
        )
        if refusal is not None:
            return error_response(401, refusal)
    response = AS2Response(body)
    return response if actor is not None else with_etag(request, response)
