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
    from types import SimpleNamespace

    from fastapi.responses import HTMLResponse
    from jinja2 import Template
    from starlette.requests import Request

    from server.clock import Clock
    from server.domain.actors import get_local_actor
    from server.domain.funding import get_funding_call
    from server.i18n.templates import in_language
    from server.pages import templating
    from server.pages.objects import render_funding_call_page
    from server.pages.profiles import render_profile
    from server.settings import Settings
    from server.storage.db import Database

    config = _config()
    rendered: dict[str, tuple[Template, dict[str, Any], str]] = {}

    async def load() -> None:
        settings = Settings(base_url=config["base_url"], database_url=config["database_url"])
        db = Database(settings.database_url)
        clock = Clock()
        # The request a page is rendered for: no cookie, the instance's default language.
        app = SimpleNamespace(
            state=SimpleNamespace(communs=SimpleNamespace(settings=settings, clock=clock))
        )
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [],
            "app": app,
        }
        real = templating._env.get_template

        def recording(name: str, *args: Any, **kwargs: Any) -> Any:
            """The page's own template keeps the context it is given; the templates it
            extends or includes are looked up as usual."""
            template = real(name, *args, **kwargs)
            if args or kwargs or name not in ("funding_call.html", "profile.html"):
                return template
            return SimpleNamespace(render=lambda context: _kept(name, template, context))

        def _kept(name: str, template: Template, context: dict[str, Any]) -> str:
            rendered[name] = (template, context, context["lang"])
            return template.render(context)

        # Swapped for the one load, then put back: the page's own code picks the template and
        # builds its context, and only a lookup on the environment sees both (mypy: an attribute
        # of a class instance replaced at run time).
        templating._env.get_template = recording  # type: ignore[method-assign,assignment]
        try:
            async with db.session() as session:
                actor = await get_local_actor(session, config["username"])
                call = await get_funding_call(session, config["call_id"])
                await render_funding_call_page(
                    Request(scope), settings, session, call, actor, today=clock.today()
                )
                await render_profile(Request(scope), settings, session, actor, today=clock.today())
        finally:
            templating._env.get_template = real  # type: ignore[method-assign]
            await db.dispose()
        rendered["call"] = rendered.pop("funding_call.html")
        rendered["profile"] = rendered.pop("profile.html")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        await load()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/render/{name}")
    async def render(name: str) -> Response:
        template, context, language = rendered[name]
        with in_language(language):
            return HTMLResponse(template.render(context))

    return app
