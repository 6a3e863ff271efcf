"""JSON API: pledges the token's actor makes, to calls of this or another instance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from schemas.commons import OfferedPledgePublic, PledgeOffer
from server.domain.access import acting_actor
from server.domain.lookup import funding_call_by_uri
from server.domain.pledge_offers import offer_pledge, offered_pledge_public, withdraw_pledge
from server.domain.pledges import list_pledges
from server.errors import NotFound
from server.http.deps import Reader, SessionDep, StateDep, Writer
from server.http.idempotency import PublishingPost
from server.http.jsonroute import StorableJSONRoute
from server.http.paging import Limit, link_to_next
from server.storage.models import Pledge

router = APIRouter(prefix="/api/v1", tags=["pledges"], route_class=StorableJSONRoute)


@router.post("/pledges", status_code=202, response_model=OfferedPledgePublic)
async def post_pledge(body: PledgeOffer, post: PublishingPost) -> Response:
    """Pledge to a funding call; ``offered`` until its instance accepts or rejects it."""

    async def create() -> OfferedPledgePublic:
        session, state = post.session, post.state
        actor = await acting_actor(session, post.caller)
        call = await funding_call_by_uri(
            session, state.finder, body.funding_call, today=state.clock.today()
        )
        pledge = await offer_pledge(
            session, state.urls, actor, call, body, today=state.clock.today()
        )
        await session.flush()
        return await offered_pledge_public(session, pledge)

    return await post.answer(body, status_code=202, create=create)


@router.get("/pledges")
async def get_pledges(
    caller: Reader,
    session: SessionDep,
    request: Request,
    response: Response,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 200,
) -> list[OfferedPledgePublic]:
    """The pledges the token's actor made, newest first; ``Link`` names the next page."""
    actor = await acting_actor(session, caller)
    pledges, after = await list_pledges(session, actor, cursor=cursor, limit=limit)
    link_to_next(request, response, after)
    return [await offered_pledge_public(session, p) for p in pledges]


@router.delete("/pledges/{pledge_id}", status_code=202)
async def delete_pledge(
    pledge_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> OfferedPledgePublic:
    """Withdraw a pledge the actor made while its call is open (sends ``Undo{Offer}`` to a
    remote call); a second withdrawal is a 409 and sends nothing."""
    actor = await acting_actor(session, caller)
    pledge = await session.get(Pledge, pledge_id)
    if pledge is None or pledge.pledger_id != actor.id or pledge.recorded_by_owner:
        raise NotFound("no such pledge of yours")
    pledge = await withdraw_pledge(session, state.urls, pledge, today=state.clock.today())
    await session.commit()
    state.federation.wake_delivery()
    return await offered_pledge_public(session, pledge)
