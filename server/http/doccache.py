"""A short-lived cache of served ActivityStreams bytes, for documents read far more than written.

Remote servers fetch actor documents on every key lookup and Notes on every boost or reply;
answering from memory skips the database (one ORM query costs more than serving the bytes,
docs/performance.md). Writers in this process forget entries at once — every publication and every
processed inbox batch forgets all Notes — and other processes see a change within ``TTL``
seconds.
"""

from __future__ import annotations

import time

__all__ = ["TTL", "DocumentCache", "actor_key", "note_key"]

TTL = 10.0


class DocumentCache:
    """Serialised documents by key, each kept for ``ttl`` seconds."""

    def __init__(self, *, ttl: float = TTL, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        """Return the cached bytes, if fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, body: bytes) -> None:
        """Remember ``body`` under ``key``."""
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, body)

    def forget(self, key: str) -> None:
        """Drop an entry after its document changed."""
        self._entries.pop(key, None)

    def forget_notes(self) -> None:
        """Drop every cached Note: something was published or received that may change one."""
        self._entries = {k: v for k, v in self._entries.items() if not k.startswith("note:")}


def actor_key(username: str) -> str:
    """Return the cache key of a local actor's document (writers forget it on change)."""
    return f"actor:{username}"


def note_key(path: str) -> str:
    """Return the cache key of a served Note (a project or funding call), by its path."""
    return f"note:{path}"
