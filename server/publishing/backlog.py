"""What the delivery worker holds while it sends: its backlog of claimed rows, its host slots."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["Backlog", "HostSlots"]


class HostSlots:
    """At most ``limit`` sends to one host at once.

    A host's semaphore lives only while sends to it are waiting or running: one kept per
    host ever delivered to would grow with the fediverse.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._hosts: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    def __len__(self) -> int:
        """How many hosts have sends waiting or running."""
        return len(self._hosts)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of ``host``'s slots for the duration of the block."""
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = (asyncio.Semaphore(self.limit), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._hosts[host]


class Backlog:
    """Claimed rows waiting for a send slot, each for at most ``keep`` seconds.

    Past half its lease a row could be claimed by another worker while it waits here; the
    rows were claimed in order, so the oldest are at the front.
    """

    def __init__(self, keep: float) -> None:
        self._keep = keep
        self._rows: deque[tuple[float, Any]] = deque()  # (send before, row)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: list[Any], now: float) -> None:
        self._rows.extend((now + self._keep, row) for row in rows)

    def take(self) -> Any:
        return self._rows.popleft()[1]

    def stale(self, now: float) -> list[Any]:
        """Remove the rows kept too long and return them."""
        rows = []
        while self._rows and self._rows[0][0] < now:
            rows.append(self._rows.popleft()[1])
        return rows

    def rows(self) -> list[Any]:
        return [row for _, row in self._rows]
