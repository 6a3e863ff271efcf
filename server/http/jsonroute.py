"""JSON API bodies parsed as the inbox parses activities (``federation.storable``): text a
database cannot store (NUL, unpaired surrogates) is a 422 at the door, never a failed write."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from federation.storable import UnstorableText
from federation.storable import loads as storable_json

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

        async def storable_body(request: Request) -> Response:
            return await handler(_StorableJSONRequest(request.scope, request.receive))

        return storable_body
