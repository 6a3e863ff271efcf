"""JSON API bodies parsed as the inbox parses activities (``federation.storable``): text a
database cannot store (NUL, unpaired surrogates) is a 422 at the door, never a failed write.

A route that needs a token checks it before its body is read (FastAPI reads the body before
it solves dependencies): an unauthenticated request never costs the memory of its body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from federation.storable import UnstorableText
from federation.storable import loads as storable_json
from server.http.deps import AppState, authenticate_request

__all__ = ["StorableJSONRoute"]


class _StorableJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = storable_json(body)
            except UnstorableText as exc:  # FastAPI answers a JSONDecodeError with a 422
                raise json.JSONDecodeError(str(exc), body.decode(errors="replace"), 0) from None
        return self._json


class StorableJSONRoute(APIRoute):
    """The route class of every router that takes a JSON body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needs_token = _needs_token(self.dependant)

        async def storable_body(request: Request) -> Response:
            if needs_token:
                state: AppState = request.app.state.communs
                async with state.db.session() as session:
                    await authenticate_request(request, session)
            return await handler(_StorableJSONRequest(request.scope, request.receive))

        return storable_body


def _needs_token(dependant: Dependant) -> bool:
    """Whether a route depends, at any depth, on a dependency of ``require_scope``."""
    return any(
        getattr(dependency.call, "required_scope", None) is not None or _needs_token(dependency)
        for dependency in dependant.dependencies
    )
