"""Ordered collections and their pages."""

from __future__ import annotations

from typing import Any, Literal

from schemas.base import APModel
from schemas.context import AS2

__all__ = ["OrderedCollection", "OrderedCollectionPage"]


class OrderedCollectionPage(APModel):
    id: str
    type: Literal["OrderedCollectionPage"] = "OrderedCollectionPage"
    part_of: str
    total_items: int
    ordered_items: list[Any]
    next: str | None = None
    prev: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {"@context": AS2, **self.to_wire()}


class OrderedCollection(APModel):
    """A collection whose ``first`` is a page URL (or an embedded page for small ones)."""

    id: str
    type: Literal["OrderedCollection"] = "OrderedCollection"
    total_items: int
    first: str | OrderedCollectionPage | None = None
    ordered_items: list[Any] | None = None

    def to_document(self) -> dict[str, Any]:
        return {"@context": AS2, **self.to_wire()}
