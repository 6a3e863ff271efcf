"""The directory's filters, read from a query string the same way by the JSON API, the pages
and the Atom feed of a search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query

from schemas.api import RegionFilter
from schemas.states import ActorKind, Sector, ServiceKind
from server.domain.directory import DirectoryFilters, Kind

__all__ = ["DirectoryQuery", "directory_filters"]

Project = Annotated[str | None, Query(max_length=2048, description="A project's id or URI")]


async def directory_filters(
    type: Annotated[Kind | Literal[""] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    license: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    currency: Annotated[str | None, Query(max_length=3)] = None,
    sector: Annotated[
        Sector | Literal[""] | None, Query(description="Funding calls this sector pledged to")
    ] = None,
    kind: Annotated[ActorKind | Literal[""] | None, Query(description="Actors' kind")] = None,
    region: Annotated[RegionFilter, Query(description="Actors' own region")] = None,
    uses: Project = None,
    serves: Project = None,
    area: Annotated[RegionFilter, Query(description="Providers serving this region")] = None,
    service: Annotated[ServiceKind | Literal[""] | None, Query()] = None,
) -> DirectoryFilters:
    """Return the filters of a directory search; empty fields (from a form) filter nothing.

    ``kind``, ``region``, ``uses``, ``serves``, ``area`` and ``service`` filter actors:
    "public bodies that use X" is ``kind=public_body&uses=X``; "providers of X in region Y,
    for hosting" is ``serves=X&area=Y&service=hosting``.
    """
    return DirectoryFilters(
        type=type or None,
        q=q or None,
        tag=tag or None,
        license=license or None,
        status=status or None,
        currency=currency or None,
        sector=sector or None,
        kind=kind or None,
        region=region,
        uses=uses or None,
        serves=serves or None,
        area=area,
        service=service or None,
    )


DirectoryQuery = Annotated[DirectoryFilters, Depends(directory_filters)]
