"""The OpenAPI document tells clients every error a route can answer, in the one JSON shape.

FastAPI documents a route's success and its 422; a client also needs the 401 of a missing
token, the 403 of a missing scope, the 404 of an unknown id, the 409 of a state that forbids
the change and the 413 of a body too large. They follow from what a route is (its scope
dependency, path parameters, method), so they are derived once here rather than written on
every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

__all__ = ["ErrorBody", "document_errors"]


class ErrorBody(BaseModel):
    """Every error: ``{"detail": …}``, a sentence (or, for a 422, the invalid fields)."""

    detail: str | list[dict[str, Any]]


_WHY = {
    401: "No token, or a token that is invalid or revoked",
    403: "The token lacks the scope, its actor is suspended, or the object is another actor's",
    404: "Nothing with that id (or not visible to this token)",
    409: "The object's state forbids this change",
    410: "The object was deleted",
    413: "The body is larger than allowed",
}


def _needs_token(dependant: Dependant) -> bool:
    return any(
        hasattr(sub.call, "required_scope") or _needs_token(sub) for sub in dependant.dependencies
    )


def _reads_path(dependant: Dependant) -> bool:
    """Whether the route, or one of its dependencies, takes a path parameter (an id)."""
    return bool(dependant.path_params) or any(_reads_path(s) for s in dependant.dependencies)


def _errors_of(route: APIRoute) -> list[int]:
    codes = []
    if _needs_token(route.dependant):
        codes += [401, 403]
    if _reads_path(route.dependant):
        codes += (
            [404, 410] if "/projects/" in route.path or "/funding-calls/" in route.path else [404]
        )
    if set(route.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}:
        codes.append(409)
    if route.body_field is not None:
        codes.append(413)
    return codes


def document_errors(router: APIRouter) -> None:
    """Add the 4xx answers of each of ``router``'s routes to its OpenAPI description (before
    the router is included in the app)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for code in _errors_of(route):
                route.responses.setdefault(code, {"model": ErrorBody, "description": _WHY[code]})
