"""A short-lived cache of served documents, for those read far more than written.

Remote servers fetch actor documents on every key lookup and Notes on every boost or reply;
answering from memory skips the database (one ORM query costs more than serving the bytes,
docs/performance.md). People's HTML pages are kept the same way (``server.http.pagecache``).
Writers in this process forget entries at once — every publication and every processed inbox
batch forgets all Notes and pages, a changed actor its document and every page — and other
processes see a change within ``TTL`` seconds.
"""

from __future__ import annotations

import time

__all__ = ["PAGE_PREFIX", "TTL", "DocumentCache", "actor_key", "note_key"]

TTL = 10.0

#: What every page's key starts with (``server.http.pagecache``).
PAGE_PREFIX = "page:"

_NOTE_PREFIX = "note:"


class DocumentCache:
    """Serialised documents by key, each kept for ``ttl`` seconds."""

    def __init__(self, *, ttl: float = TTL, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, bytes, dict[str, str]]] = {}
        #: The database's write version the kept pages were checked against (pagecache).
        self.page_version: object = None

    def get(self, key: str) -> bytes | None:
        """Return the cached bytes, if fresh."""
        entry = self.entry(key)
        return None if entry is None else entry[0]

    def entry(self, key: str) -> tuple[bytes, dict[str, str]] | None:
        """Return the cached bytes and the headers they were served with, if fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def put(self, key: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Remember ``body`` (served with ``headers``) under ``key``."""
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, body, headers or {})

    def forget(self, key: str) -> None:
        """Drop an entry after its document changed, and every page (which may show it)."""
        self._entries.pop(key, None)
        self.forget_pages()

    def forget_pages(self) -> None:
        """Drop every cached page: something they list changed (an actor, a domain's block)."""
        self._drop(PAGE_PREFIX)

    def forget_notes(self) -> None:
        """Drop every cached Note and page: something was published or received that may
        change one."""
        self._drop(_NOTE_PREFIX, PAGE_PREFIX)

    def _drop(self, *prefixes: str) -> None:
        if any(k.startswith(prefixes) for k in self._entries):
            self._entries = {k: v for k, v in self._entries.items() if not k.startswith(prefixes)}


def actor_key(username: str) -> str:
    """Return the cache key of a local actor's document (writers forget it on change)."""
    return f"actor:{username}"


def note_key(path: str) -> str:
    """Return the cache key of a served Note (a project or funding call), by its path."""
    return f"{_NOTE_PREFIX}{path}"
