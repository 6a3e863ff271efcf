"""``POST /inbox`` and ``POST /actors/{username}/inbox``: where the inbox path starts.

The front door (``server.frontdoor``) calls this ahead of FastAPI's routing, for speed
(docs/architecture.md). It authenticates, de-duplicates and stores the activity, then answers
202; the inbox worker (``server.inbox.worker``) applies it later.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from fastapi.responses import Response
from prometheus_client import Counter
from starlette.types import Receive, Scope

from federation.inbox import accept_activity
from federation.ports import InboxStore
from federation.rfc9421 import Fields
from server.http.deps import AppState
from server.http.signatures import read_body, received_url
from server.metrics import INBOX_REQUESTS

__all__ = ["receive_activity"]

log = logging.getLogger("communs.inbox")


async def receive_activity(
    state: AppState, scope: Scope, receive: Receive, username: str | None
) -> Response:
    """Authenticate, de-duplicate and store one activity; processing happens in a worker."""
    federation = state.federation
    store: InboxStore = federation.store
    if username is not None:  # a personal inbox: 404 for actors we do not host, 410 deleted
        store = await federation.store.personal_inbox(username)
    headers = Fields.from_lines(scope["headers"])
    body = await read_body(receive, headers.get("content-length"))
    outcome = await accept_activity(
        method="POST",
        url=received_url(scope, headers.get("host", ""), state.urls.base),
        headers=headers,
        body=body,
        now=state.clock.now(),
        resolver=federation.resolver,
        multikeys=federation.multikeys,
        actors=federation.store,
        store=store,
    )
    _counted(outcome.reason).inc()
    if outcome.status == 202:
        federation.wake_inbox()
    if outcome.status >= 400:  # the sender is told the rule broken, the log what we found
        log.info("inbox refused (%s): %s", outcome.check or outcome.reason, outcome.detail)
    return Response(
        _detail_json(outcome.answer),
        status_code=outcome.status,
        media_type="application/json",
    )


@lru_cache(maxsize=64)
def _counted(reason: str) -> Counter:
    """Return the inbox counter of one outcome (a handful of reasons, looked up per request)."""
    return INBOX_REQUESTS.labels(reason)


@lru_cache(maxsize=256)
def _detail_json(detail: str) -> bytes:
    """Return ``{"detail": …}`` rendered once: most answers are one of a few words."""
    return json.dumps({"detail": detail}).encode()
