"""The FastAPI application: ``create_app(settings)`` builds it, the lifespan owns shared state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from server import __version__
from server.activitypub import actors as activitypub
from server.activitypub import interactions, objects, vocabulary, wellknown
from server.api import actors as api_actors
from server.api import admin as api_admin
from server.api import declarations as api_declarations
from server.api import deliveries as api_deliveries
from server.api import directory as api_directory
from server.api import docs as api_docs
from server.api import follows as api_follows
from server.api import funding as api_funding
from server.api import manifests as api_manifests
from server.api import media as api_media
from server.api import monitoring
from server.api import pledges as api_pledges
from server.api import projects as api_projects
from server.clock import Clock
from server.errors import ServiceError
from server.frontdoor import front_door
from server.http.deps import AppState
from server.http.faults import fault_response
from server.http.limits import body_limit, body_refusal, limited
from server.http.openapi import document_errors
from server.http.responses import error_response
from server.http.security import with_security_headers
from server.pages import routes as pages
from server.pages.errors import error_page, wants_html
from server.runtime import Federation
from server.settings import Settings
from server.storage.db import Database
from server.storage.outage import database_unavailable
from server.syndication import badges, feeds, manifests, previews
from server.urls import Urls
from server.webapp.routes import router as webapp

__all__ = ["create_app"]

log = logging.getLogger("communs")


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Return the application for ``settings`` (read from the environment when omitted).

    ``transport`` replaces the network for outgoing requests (tests fake the fediverse there);
    ``clock`` the system's UTC clock (tests set the date with a ``FrozenClock``).
    """
    settings = settings or Settings()
    clock = clock or Clock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        urls = Urls(settings.base_url)
        federation = await Federation.start(settings, db, urls, clock=clock, transport=transport)
        app.state.communs = AppState(
            settings=settings, db=db, urls=urls, clock=clock, federation=federation
        )
        if settings.run_workers:
            federation.run_workers()
        try:
            yield
        finally:
            await federation.close()
            await db.dispose()

    app = _Communs(
        title="Communs",
        version=__version__,
        summary="Federated home for digital commons: projects, funding calls, pledges.",
        lifespan=lifespan,
        # served from packaged assets by server.api.docs, not from a CDN
        docs_url=None,
        redoc_url=None,
        # FastAPI's native OpenTelemetry asks the global providers on every request (≈ 6 % of
        # an inbox POST); Communs reports through its own Prometheus /metrics instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _install_error_handlers(app)
    routers = [
        manifests.router,  # ahead of /projects/{id}/{collection}
        feeds.router,
        badges.router,
        previews.router,
        wellknown.router,
        activitypub.router,
        activitypub.signed,
        objects.router,
        interactions.router,
        api_actors.router,
        api_admin.router,
        api_follows.router,
        api_deliveries.router,
        api_directory.router,
        api_manifests.router,
        api_projects.router,
        api_declarations.router,
        api_funding.router,
        api_pledges.router,
        api_media.router,
        vocabulary.router,
        monitoring.router,
        api_docs.router,
        pages.router,
        webapp,
    ]
    for router in routers:
        document_errors(router)
        app.include_router(router)
    app.mount(api_docs.ASSETS_PATH, StaticFiles(directory=api_docs.ASSETS), name="api-docs")
    app.mount(
        "/static",
        StaticFiles(directory=Path(__file__).parent / "pages" / "static"),
        name="static",
    )
    return app


class _Communs(FastAPI):
    """FastAPI, with the front door (``server.frontdoor``) ahead of its middleware stack."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = getattr(self.state, "communs", None)
            if state is None:  # served without its lifespan (``--lifespan off``): no database
                response = error_response(503, "the server is not started: its lifespan never ran")
                await response(scope, receive, send)
                return
            if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
                # Nothing can look a NUL up: PostgreSQL refuses it in any text
                response = error_response(400, "the request target holds a NUL character")
                await response(scope, receive, send)
                return
            if scope["method"] == "HEAD":  # answered as its GET, without the body
                scope, send = {**scope, "method": "GET"}, _without_body(send)
            if await front_door(state, scope, receive, send):
                return
            limit = body_limit(scope)
            if (refusal := body_refusal(scope, limit=limit)) is not None:
                await refusal(scope, receive, with_security_headers(send))
                return
            receive, send = limited(receive, limit=limit), with_security_headers(send)
        await super().__call__(scope, receive, send)


def _without_body(send: Send) -> Send:
    """Return ``send`` for a HEAD request: the GET's status and headers (its Content-Length and
    ETag included, as RFC 9110 asks), and no body. Uptime monitors and caches use HEAD."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head


def _install_error_handlers(app: FastAPI) -> None:
    """Every error is JSON ``{"detail": …}`` with the right status, or for a browser a page in
    its language (``server.pages.errors``); nothing leaks a traceback.

    A database that cannot be used is a 503; any other unexpected error a 500. A browser's
    invalid query (``/?currency=euro``) is a 400 page.
    """

    def answer(
        request: Request, status: int, detail: Any, headers: dict[str, str] | None = None
    ) -> Response:
        if wants_html(request):
            return error_page(request, status, detail if isinstance(detail, str) else None, headers)
        return error_response(status, detail, headers)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        if wants_html(request):  # its message, in the page's language
            return error_page(request, exc.status, exc.message)
        return error_response(exc.status, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):
            return error_page(request, 400, None)
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return error_response(422, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return answer(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(OSError)
    async def database_error(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a bug: answered below, its traceback logged by the server
        return _fault(request, exc, log_bugs=True)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        return _fault(request, exc, log_bugs=False)


def _fault(request: Request, exc: Exception, *, log_bugs: bool) -> Response:
    """The answer to an unexpected error: JSON, or for a browser the page of its status."""
    response = fault_response(exc, log_bugs=log_bugs)
    if not wants_html(request):
        return response
    retry = response.headers.get("retry-after")
    return error_page(
        request, response.status_code, None, {"Retry-After": retry} if retry else None
    )
