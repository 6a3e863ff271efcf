"""The bare applications that give each server scenario its limit, served by uvicorn.

``verify_app``: an ASGI app doing only what the inbox cannot avoid — parse the signature,
check the digest, verify RSA-2048 and ``json.loads`` the body — with the public keys in a dict.
``bytes_app``: a FastAPI route returning fixed bytes as ``application/activity+json``.
``page_app``: a FastAPI route rendering a page's Jinja template with data loaded once.
All are factories (``uvicorn --factory``) configured by a JSON file named in ``BENCH_LIMIT``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response

from federation.httpsig import Verification, parse_signature, verify_signature
from federation.keys import load_public_key

__all__ = ["bytes_app", "page_app", "verify_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(Path(os.environ["BENCH_LIMIT"]).read_text())
    return config


def verify_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Return the bare inbox: 202 for a valid signed JSON body, 401/400 otherwise."""
    keys = {key_id: load_public_key(pem) for key_id, pem in _config()["keys"].items()}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        url = f"http://{headers.get('host', '')}{scope['raw_path'].decode('latin-1')}"
        status = 202
        signed = parse_signature(method="POST", url=url, headers=headers, now=datetime.now(UTC))
        key = None if isinstance(signed, Verification) else keys.get(signed.key_id)
        if (
            isinstance(signed, Verification)
            or key is None
            or not verify_signature(signed, key, body=body).ok
        ):
            status = 401
        else:
            try:
                json.loads(body)
            except ValueError:
                status = 400
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def bytes_app() -> FastAPI:
    """Return a FastAPI app serving each configured document at ``/bytes/{name}``."""
    documents = {name: Path(path).read_bytes() for name, path in _config()["bytes"].items()}
    app = FastAPI()

    @app.get("/bytes/{name}")
    async def document(name: str) -> Response:
        return Response(documents[name], media_type="application/activity+json")

    return app


def page_app() -> FastAPI:
    """Return a FastAPI app rendering each configured page's template with its data, as
    loaded once at startup by the very code that serves it: the Jinja render alone."""
    from contextlib import asynccontextmanager

    from fastapi.responses import HTMLResponse
    from starlette.requests import Request

    from server.clock import Clock
    from server.domain.actors import get_local_actor
    from server.domain.funding import get_funding_call
    from server.pages.objects import render_funding_call_page
    from server.pages.templating import render_profile
    from server.settings import Settings
    from server.storage.db import Database

    config = _config()
    rendered: dict[str, Any] = {}

    async def load() -> None:
        settings = Settings(base_url=config["base_url"], database_url=config["database_url"])
        db = Database(settings.database_url)
        today = Clock().today()
        try:
            async with db.session() as session:
                actor = await get_local_actor(session, config["username"])
                call = await get_funding_call(session, config["call_id"])
                request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
                rendered["call"] = await render_funding_call_page(
                    request, settings, session, call, actor, today=today
                )
                rendered["profile"] = await render_profile(
                    request, settings, session, actor, today=today
                )
        finally:
            await db.dispose()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        await load()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/render/{name}")
    async def render(name: str) -> Response:
        page = rendered[name]
        return HTMLResponse(page.template.render(page.context))

    return app
