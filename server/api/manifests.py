"""JSON API: import a project from its funding.json, and publish the draft calls it made."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from schemas.commons import FundingCallPublic
from schemas.imports import ProjectImport, ProjectImported
from server.domain.access import acting_actor, owner_for_change
from server.domain.funding import funding_call_public, get_funding_call, publish_draft
from server.domain.funding_manifest import fetch_manifest, import_manifest
from server.domain.projects import project_public
from server.http.deps import SessionDep, StateDep, Writer
from server.http.idempotency import IdempotencyKeyHeader, answer_once
from server.http.jsonroute import StorableJSONRoute

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["projects"], route_class=StorableJSONRoute)


@router.post("/projects/import", status_code=201, response_model=ProjectImported)
async def post_project_import(
    body: ProjectImport,
    request: Request,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Create a project from a funding.json (fetched safely, checked against its schema),
    with its active plans as draft calls; 422 says what is wrong with the manifest."""

    async def create() -> ProjectImported:
        actor = await acting_actor(session, caller)
        url = str(body.url)
        await session.commit()  # no connection held across the fetch
        document = await fetch_manifest(state.federation.fetcher, url)
        today = state.clock.today()
        made = await import_manifest(
            session, state.urls, actor, document, manifest_url=url, guid=body.guid, today=today
        )
        return ProjectImported(
            project=await project_public(session, made.project),
            draft_calls=[await funding_call_public(session, c, today=today) for c in made.calls],
            skipped_plans=made.skipped,
        )

    response = await answer_once(
        request, session, caller, idempotency_key, body, status_code=201, create=create
    )
    state.federation.wake_delivery()
    return response


@router.post("/funding-calls/{object_id}/publish", response_model=FundingCallPublic)
async def post_publish_draft(
    object_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> FundingCallPublic:
    """Publish a draft call (made by an import): followers receive its ``Create{Note}``."""
    call = await get_funding_call(session, object_id)
    actor = await owner_for_change(session, caller, call, "funding call")
    today = state.clock.today()
    call = await publish_draft(session, state.urls, actor, call, today=today)
    public = await funding_call_public(session, call, today=today)
    await session.commit()
    state.federation.wake_delivery()
    return public
