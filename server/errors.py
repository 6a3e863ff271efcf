"""Domain errors raised by the server's services and turned into JSON 4xx answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["Conflict", "Forbidden", "Gone", "Invalid", "NotFound", "ServiceError", "refuse_nulls"]


class ServiceError(Exception):
    """A request that cannot be honoured; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Gone(ServiceError):
    status = 410


def refuse_nulls(fields: Mapping[str, object], required: Iterable[str]) -> None:
    """Raise ``Invalid`` when a change sets one of the ``required`` fields to null: a PATCH
    body may leave a field out, but not empty one the database needs."""
    for name in required:
        if name in fields and fields[name] is None:
            raise Invalid(f"{name}: may not be null")
