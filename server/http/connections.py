"""Slow clients are cut: deadlines on reading a request's headers and its body, and a cap on
connections, for the uvicorn server of ``communs serve``.

Uvicorn times out idle keep-alive connections only: a connection that sends nothing, a
partial header, or a body a byte at a time stays open for good (200 such connections were all
still open after 42 s). ``GuardedHttpProtocol`` gives each request ``header_timeout`` seconds
from its first byte (or from the connection's opening) to finish its headers, and then
``body_timeout`` seconds to finish its body; past either, the connection is closed (a 408
answer first, while no response has begun). Headers are bounded in size too (431).

One timer per connection is kept and moved lazily: arming a deadline writes a number, so a
request costs no timer handle of its own.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings

__all__ = ["MAX_HEADER_BYTES", "GuardedHttpProtocol", "server_options"]

#: The most bytes a request's line and headers may take (nginx's default buffers hold 32 KiB).
MAX_HEADER_BYTES: Final = 64 * 1024


class GuardedHttpProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, with header and body deadlines and a header size cap."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float,
        body_timeout: float,
        max_header_bytes: int = MAX_HEADER_BYTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._max_header_bytes = max_header_bytes
        self._deadline: float | None = None  # when the request being read must be read
        self._timer: asyncio.TimerHandle | None = None
        self._in_headers = True
        self._header_bytes = 0

    # The deadline: one timer, moved lazily.

    def _arm(self, seconds: float) -> None:
        self._deadline = self.loop.time() + seconds
        if self._timer is None:
            self._timer = self.loop.call_at(self._deadline, self._check_deadline)

    def _disarm(self) -> None:
        self._deadline = None

    def _check_deadline(self) -> None:
        self._timer = None
        if self._deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self._deadline:  # moved later meanwhile
            self._timer = self.loop.call_at(self._deadline, self._check_deadline)
            return
        self._refuse(408, b"the request was not received in time")

    def _refuse(self, status: int, message: bytes) -> None:
        """Close the connection, answering ``status`` first if no request is being answered
        (still in its headers); a request in its body sees its client disconnect."""
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_answer(status, message))
        self.transport.close()

    # Uvicorn's callbacks, extended.

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout)  # a connection that never sends a byte is cut too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        too_large = self._in_headers and self._header_bytes > self._max_header_bytes
        if too_large and not self.transport.is_closing():
            self._refuse(431, b"the request's headers are too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._deadline is None:  # a keep-alive connection's next request
            self._arm(self._header_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        self._arm(self._body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers = True
        super().on_message_complete()


def _answer(status: int, message: bytes) -> bytes:
    reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
    body = b'{"detail": "' + message + b'"}'
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            b"content-type: application/json\r\n",
            b"x-content-type-options: nosniff\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """Return the uvicorn options of ``settings``' connection limits (``communs serve``, and
    the tests' real servers)."""
    return {
        "http": functools.partial(
            GuardedHttpProtocol,
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
        ),
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_seconds,
    }
