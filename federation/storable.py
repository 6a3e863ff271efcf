"""JSON as we take it from others: text a database can store, or a refusal at the edge.

JSON may spell a NUL character (``\\u0000``) or an unpaired UTF-16 surrogate (``\\ud800``),
and ``json.loads`` decodes raw UTF-8-encoded surrogates too (``surrogatepass``). PostgreSQL
refuses NUL in text and no UTF-8 encoder takes a lone surrogate: let through, either fails a
write later, on SQLite with every activity batched alongside it.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["UnstorableText", "loads", "storable"]

#: Where such text can hide in the raw bytes; most documents have none, and skip the walk.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


class UnstorableText(ValueError):
    """A JSON document whose text holds a NUL character or an unpaired surrogate."""


def loads(body: bytes) -> Any:
    """Parse ``body`` as ``json.loads`` does; raise ``UnstorableText`` for unstorable text.

    Raises what ``json.loads`` raises (``ValueError``s, ``RecursionError``) for bad JSON.
    """
    document = json.loads(body)
    if _SUSPECT.search(body) is not None and not storable(document):
        raise UnstorableText("text holds a NUL character or an unpaired surrogate")
    return document


def storable(value: Any) -> bool:
    """Whether every string (keys included) of a parsed JSON value can be stored as text."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    return True
