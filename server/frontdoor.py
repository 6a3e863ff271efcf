"""The front door: the fediverse's frequent requests, answered before FastAPI.

Remote servers post to inboxes and fetch actors and Notes far more often than anyone uses the
API, and FastAPI's middleware, routing and dependency solving cost more than the work itself
(inbox POSTs and cached reads, docs/performance.md). As Fedify's framework integrations do,
``front_door`` answers those requests itself, ahead of the application's middleware: inbox
POSTs always, AS2 GETs and people's pages when the document cache holds the bytes, pictures
(``/media/…``) always. Everything else, every cache miss included, goes to the application
unchanged. Its answers carry the same security headers as the application's
(``server.http.security``): a kept page is a page.
"""

from __future__ import annotations

import re

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from server.errors import ServiceError
from server.http.deps import AppState, wants_as2
from server.http.doccache import actor_key, note_key
from server.http.etags import with_etag
from server.http.faults import fault_response
from server.http.pagecache import cached_page
from server.http.responses import AS2Response, actor_headers, error_response
from server.http.security import with_security_headers
from server.http.signatures import received_url, signed_get_refusal
from server.inbox.receive import receive_activity
from server.media import MediaFiles, media_response
from server.media.serving import MEDIA_PREFIX

__all__ = ["front_door"]

_INBOX = re.compile(r"/(?:actors/(?P<username>[^/]+)/)?inbox")
_ACTOR = re.compile(r"/actors/(?P<username>[^/]+)")
_NOTE = re.compile(r"/(?:projects|funding-calls)/[^/]+")


async def front_door(state: AppState, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer an HTTP request that is the front door's; return whether it was."""
    method, path = scope["method"], scope["path"]
    response: Response | None
    try:
        if method == "POST" and (inbox := _INBOX.fullmatch(path)) is not None:
            response = await receive_activity(state, scope, receive, inbox["username"])
        elif method == "GET" and path.startswith(MEDIA_PREFIX):
            files = MediaFiles(state.settings.media_dir)
            response = await media_response(state.db, files, Request(scope, receive))
        elif method == "GET":
            response = await cached_document(state, Request(scope, receive), path)
        else:
            return False
    except ServiceError as exc:
        response = error_response(exc.status, exc.detail)
    except HTTPException as exc:
        response = error_response(exc.status_code, exc.detail, exc.headers)
    except ClientDisconnect:  # nobody is left to answer
        return True
    except Exception as exc:  # answered in the JSON shape; 503 while the database is away
        response = fault_response(exc)
    if response is None:
        return False
    # JSON, ActivityStreams and pictures get nosniff; kept pages, the pages' security headers
    await response(scope, receive, with_security_headers(send))
    return True


async def cached_document(state: AppState, request: Request, path: str) -> Response | None:
    """Return the cached actor, Note or page a GET of ``path`` asks for (None: routes build
    it)."""
    if not wants_as2(request):
        return await cached_page(request, state.documents, state.federation.data_version)
    if (actor := _ACTOR.fullmatch(path)) is not None:
        key = actor_key(actor["username"])
    elif _NOTE.fullmatch(path) is not None:
        key = note_key(path)
    else:
        return None
    body = state.documents.get(key)
    if body is None:
        return None
    if state.settings.authorized_fetch:
        url = received_url(request.scope, request.headers.get("host", ""), state.urls.base)
        refusal = await signed_get_refusal(state, url, request.headers)
        if refusal is not None:  # an actor's key-only document comes from its route
            return None if actor is not None else error_response(401, refusal)
    if actor is not None:
        return AS2Response(body, headers=actor_headers(state.settings.authorized_fetch))
    return with_etag(request, AS2Response(body))
