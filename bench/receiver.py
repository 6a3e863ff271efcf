"""The recording inbox: answers every POST with 202 and counts them, as fast as asyncio can.

Run as ``python -m bench.receiver PORT``. ``GET /stats`` answers
``{"count", "first", "last", "paths"}`` (wall-clock times of the first and last POST since the
last ``GET /reset``, and the number of distinct paths). Raw protocol, keep-alive, no parsing
beyond the header block and ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.eventloop import run

__all__ = ["Receiver", "main"]

_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"


class Receiver:
    """The counters shared by every connection."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.paths: set[bytes] = set()

    def stats(self) -> bytes:
        body = json.dumps(
            {"count": self.count, "first": self.first, "last": self.last, "paths": len(self.paths)}
        ).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        return head + body


class _Connection(asyncio.Protocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport instances

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self._answer(head.split(b"\r\n", 1)[0])

    def _answer(self, request_line: bytes) -> None:
        method, path, _ = request_line.split(b" ", 2)
        receiver = self.receiver
        if method == b"GET":
            if path == b"/reset":
                receiver.reset()
            self.transport.write(receiver.stats())
            return
        now = time.time()
        if not receiver.count:
            receiver.first = now
        receiver.count += 1
        receiver.last = now
        receiver.paths.add(path)
        self.transport.write(_ACCEPTED)


async def serve(port: int) -> None:
    """Serve until cancelled."""
    receiver = Receiver()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(receiver), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    """Entry point: ``python -m bench.receiver PORT``."""
    run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
