"""Domain errors raised by the server's services and turned into JSON 4xx answers."""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "Gone", "Invalid", "NotFound", "ServiceError"]


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
