"""Domain errors raised by the server's services and turned into JSON 4xx answers, or shown
to people on pages in their language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from server.i18n import N_, Message

__all__ = ["Conflict", "Forbidden", "Gone", "Invalid", "NotFound", "ServiceError", "refuse_nulls"]


class ServiceError(Exception):
    """A request that cannot be honoured; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, /, *, field: str | None = None, **params: Any) -> None:
        """``message`` is a catalog id (marked ``N_``) with ``{name}`` slots for ``params``;
        ``field`` names the input it is about. JSON answers say ``"field: message"`` in
        English; forms show the message next to the field, translated."""
        self.message = Message(message, **params)
        self.field = field
        self.detail = f"{field}: {self.message}" if field else str(self.message)
        super().__init__(self.detail)


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
            raise Invalid(N_("may not be null"), field=name)
