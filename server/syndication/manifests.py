"""funding.json (FLOSS/fund): each local project's manifest, and the well-known list of them."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.domain.funding_manifest import manifest_of, manifest_urls
from server.domain.projects import get_project
from server.errors import NotFound
from server.http.deps import SessionDep, StateDep
from server.http.etags import with_etag

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Funders' crawlers read these from anywhere, often; a few minutes of staleness is harmless.
_PUBLIC = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}


@router.get("/projects/{object_id}/funding.json")
async def funding_json(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A local project's funding.json: its owner, the project and its open calls as plans."""
    project = await get_project(session, object_id)
    if not project.is_local:
        raise NotFound(f"no local project {object_id!r}")
    manifest = await manifest_of(session, state.urls, project, today=state.clock.today())
    body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    return with_etag(request, Response(body, media_type="application/json", headers=_PUBLIC))


@router.get("/.well-known/funding-manifest-urls")
async def funding_manifest_urls(state: StateDep, session: SessionDep) -> Response:
    """The funding.json URLs this host publishes, one a line (the provenance check of
    manifests that name our pages)."""
    lines = await manifest_urls(session, state.urls)
    body = "".join(f"{line}\n" for line in lines).encode()
    return Response(body, media_type="text/plain; charset=utf-8", headers=_PUBLIC)
