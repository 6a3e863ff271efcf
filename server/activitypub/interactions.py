"""The replies, likes and shares collections of our projects and funding calls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from server.activitypub.paged import collection_or_page
from server.errors import NotFound
from server.http.deps import SessionDep
from server.http.responses import AS2Response
from server.http.signatures import require_signed_get
from server.publishing.outbox import dump
from server.storage.models import FundingCall, Interaction, Project

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_signed_get)])

_KIND_OF_COLLECTION = {"replies": "reply", "likes": "like", "shares": "announce"}
_TABLES: dict[str, Any] = {"projects": Project, "funding-calls": FundingCall}


@router.get("/projects/{object_id}/{collection}")
@router.get("/funding-calls/{object_id}/{collection}")
async def interactions(
    request: Request,
    object_id: str,
    collection: str,
    session: SessionDep,
    page: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Replies (Note ids), likes and shares (activity ids) of a local object, newest first."""
    table = _TABLES[request.url.path.split("/")[1]]
    interaction_kind = _KIND_OF_COLLECTION.get(collection)
    if interaction_kind is None:
        raise NotFound("no such collection")
    uri = await session.scalar(
        select(table.uri).where(table.id == object_id, table.is_local == True)
    )
    if uri is None:
        raise NotFound("no such object")

    document = await collection_or_page(
        session,
        f"{uri}/{collection}",
        page=page,
        query=select(Interaction.uri).where(
            Interaction.object_uri == uri, Interaction.kind == interaction_kind
        ),
        key=col(Interaction.id),
    )
    return AS2Response(dump(document))
