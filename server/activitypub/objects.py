"""Object URLs: projects, funding calls, pledges and activities, as AS2 or as HTML pages.

An AS2 ``Accept`` gets the Note (410 with a Tombstone once deleted); browsers get the page.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from schemas.states import FundingStatus
from server.domain.declarations import get_declaration, note_of_declaration
from server.domain.figures import note_of_call
from server.domain.funding import get_funding_call
from server.domain.interactions import with_interactions
from server.domain.notes import pledge_document, project_note, tombstone
from server.domain.pledges import funder_of, get_pledge
from server.domain.projects import get_project
from server.errors import NotFound
from server.http.deps import SessionDep, StateDep, wants_as2
from server.http.doccache import note_key
from server.http.etags import with_etag
from server.http.pagecache import keep_page
from server.http.responses import AS2Response
from server.http.signatures import require_signed_get
from server.pages.objects import render_funding_call_page, render_project_page
from server.publishing.outbox import dump
from server.publishing.proofs import signed
from server.storage.models import Activity, Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_signed_get)])


async def _local_owner(session: SessionDep, actor_id: int, is_local: bool, what: str) -> Actor:
    actor = await session.get(Actor, actor_id)
    if actor is None or not is_local:
        raise NotFound(f"no local {what}")
    return actor


def _serve_note(request: Request, state: StateDep, note: dict[str, object]) -> Response:
    """Serve a Note and cache its bytes, from which ``server.frontdoor`` serves the next GETs."""
    body = dump(note)
    state.documents.put(note_key(request.url.path), body)
    return with_etag(request, AS2Response(body))


@router.get("/projects/{object_id}")
async def project(object_id: str, request: Request, state: StateDep) -> Response:
    """A project's Note (or Tombstone) for peers, its page for people."""
    async with state.db.session() as session:
        found = await get_project(session, object_id, allow_deleted=True)
        actor = await _local_owner(
            session, found.actor_id, found.is_local, f"project {object_id!r}"
        )
        if found.deleted_at is not None:
            return AS2Response(dump(tombstone(found.uri, found.deleted_at)), status_code=410)
        if not wants_as2(request):
            page = await render_project_page(
                request, state.settings, session, found, actor, today=state.clock.today()
            )
            return keep_page(request, state.documents, page)
        note = await with_interactions(session, project_note(found, actor, state.urls))
    return _serve_note(request, state, note)


@router.get("/funding-calls/{object_id}")
async def funding_call(object_id: str, request: Request, state: StateDep) -> Response:
    """A funding call's Note (or Tombstone) for peers, its page with progress for people."""
    today = state.clock.today()
    async with state.db.session() as session:
        found = await get_funding_call(session, object_id, allow_deleted=True)
        if found.status == FundingStatus.draft:
            raise NotFound(f"no published call {object_id!r}")  # not public until published
        actor = await _local_owner(session, found.actor_id, found.is_local, f"call {object_id!r}")
        if found.deleted_at is not None:
            return AS2Response(dump(tombstone(found.uri, found.deleted_at)), status_code=410)
        if not wants_as2(request):
            page = await render_funding_call_page(
                request, state.settings, session, found, actor, today=today
            )
            return keep_page(request, state.documents, page)
        note = await note_of_call(session, state.urls, found, today=today, actor=actor)
        note = await with_interactions(session, note)
    return _serve_note(request, state, note)


@router.get("/declarations/{object_id}")
async def declaration(object_id: str, request: Request, session: SessionDep) -> Response:
    """A declaration's Note (or Tombstone) for peers; people are sent to its project's page."""
    found = await get_declaration(session, object_id, allow_deleted=True)
    actor = await _local_owner(
        session, found.actor_id, found.is_local, f"declaration {object_id!r}"
    )
    if found.deleted_at is not None:
        return AS2Response(dump(tombstone(found.uri, found.deleted_at)), status_code=410)
    note, _ = await note_of_declaration(session, found, actor=actor)
    if not wants_as2(request):
        return RedirectResponse(f"{note['project']}#declarations", status_code=303)
    return with_etag(request, AS2Response(dump(note)))


@router.get("/pledges/{object_id}")
async def pledge(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A pledge as AS2 for peers, signed by the local actors it names (its pledger, the
    call's owner); people are sent to its line on the call's page."""
    found = await get_pledge(session, object_id)
    call = await get_funding_call(session, found.funding_call_id, allow_deleted=True)
    if call.deleted_at is not None:
        stone = tombstone(found.uri, call.deleted_at, former_type="Object")
        return AS2Response(dump(stone), status_code=410)
    if not wants_as2(request):
        return RedirectResponse(f"{call.url or call.uri}#pledge-{found.id}", status_code=303)
    pledger, name = await funder_of(session, found)
    owner = await session.get(Actor, call.actor_id)
    signers = {a.id: a for a in (pledger, owner) if a is not None and a.is_local}
    recorded_by = owner if found.recorded_by_owner else None
    document = pledge_document(found, call, pledger=pledger, funder=name, recorded_by=recorded_by)
    # Signed as of its last change: Ed25519 is deterministic, so the same pledge gives the same
    # bytes and ETag until it changes, and caches keep working.
    document = signed(document, signers.values(), created=found.updated_at)
    return with_etag(request, AS2Response(dump(document)))


@router.get("/activities/{object_id}")
async def activity(object_id: str, session: SessionDep) -> Response:
    """A public activity we sent, as the exact bytes that were delivered."""
    body = await session.scalar(
        select(Activity.body).where(
            Activity.id == object_id, Activity.direction == "out", Activity.is_public == True
        )
    )
    if body is None:
        raise NotFound(f"no public activity {object_id!r}")
    return AS2Response(body)
