"""Base models: ActivityStreams documents (lenient when reading, strict when writing), and
JSON API bodies (strict: an unknown member is a mistake the client should hear about)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["APModel", "StrictModel", "as_list", "get_id"]


class APModel(BaseModel):
    """snake_case in Python, camelCase on the wire; unknown members are kept."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready document (aliases, no ``None`` members)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class StrictModel(BaseModel):
    """A JSON API body: unknown members are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def as_list(value: Any) -> list[Any]:
    """Return an AS2 value that may be absent, single or a list, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def get_id(value: Any) -> str | None:
    """Return the IRI of a value that may be an IRI, an embedded object or a one-item list."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None
