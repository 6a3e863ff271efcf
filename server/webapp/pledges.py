"""Pledges from the web app: record an offline funder's on a call of the actor, or pledge as
the actor to a call of this or another instance given by its URL (same services, same role
check as the JSON API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from schemas.commons import PledgeCreate, PledgeOffer
from schemas.states import Sector
from server.domain.access import acting_actor, owner_for_change
from server.domain.lookup import funding_call_by_uri
from server.domain.pledge_offers import offer_pledge
from server.domain.pledges import record_pledge
from server.errors import Conflict, Forbidden, Invalid, ServiceError
from server.http.deps import SessionDep
from server.http.visits import local_path
from server.i18n import N_
from server.webapp.forms import FormDep, WebRoute, field_error, see_other, typed_amount, validate
from server.webapp.publications import own_call
from server.webapp.visitors import MemberDep

__all__ = ["SECTORS", "router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)

SECTORS = [
    (Sector.public, N_("Public")),
    (Sector.private, N_("Private")),
    (Sector.civil_society, N_("Civil society")),
    (Sector.individual, N_("Individual")),
]


def _pledge_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "amount": {
            "amount": typed_amount(form.get("amount", "")),
            "currency": form.get("currency", ""),
        },
        "sector": form.get("sector", ""),
        "message": form.get("message", ""),
    }


@router.get("/app/@{username}/calls/{object_id}/pledges")
async def pledge_page(object_id: str, member: MemberDep, session: SessionDep) -> Response:
    """Record the pledge of a funder outside the fediverse."""
    call = await own_call(member, session, object_id)
    form = {"currency": call.currency}
    return member.page(
        "pledge_form.html", {"call": call, "form": form, "errors": {}, "sectors": SECTORS}
    )


@router.post("/app/@{username}/calls/{object_id}/pledges")
async def post_recorded_pledge(
    object_id: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Record an accepted pledge; progress changes and followers get the call's ``Update``."""
    call = await own_call(member, session, object_id)
    fields = _pledge_fields(form) | {"funder_name": form.get("funder_name") or None}
    data, errors = validate(PledgeCreate, fields)
    if data is not None:
        state = member.visitor.state
        try:
            owner = await owner_for_change(session, member.principal, call, "funding call")
            await record_pledge(
                session,
                state.urls,
                owner,
                call,
                data,
                caller_actor_id=member.principal.actor_id,
                today=state.clock.today(),
            )
            await session.commit()
        except (Invalid, Conflict) as error:
            errors = field_error(error)
        else:
            state.federation.wake_delivery()
            return see_other(f"/app/@{member.actor.username}")
    context = {"call": call, "form": form, "errors": errors, "sectors": SECTORS}
    return member.page("pledge_form.html", context, status=422)


@router.get("/app/@{username}/pledge")
async def offer_page(member: MemberDep) -> Response:
    """Pledge as this actor to a funding call of this or another instance."""
    context = {"form": {"currency": "EUR"}, "errors": {}, "sectors": SECTORS}
    return member.page("offer_form.html", context)


@router.post("/app/@{username}/pledge")
async def post_offer(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Send the pledge (``Offer{Pledge}`` to a remote call, recorded at once for a local one)."""
    fields = _pledge_fields(form) | {"funding_call": form.get("funding_call", "").strip()}
    data, errors = validate(PledgeOffer, fields)
    if data is not None:
        state = member.visitor.state
        today = state.clock.today()
        try:
            actor = await acting_actor(session, member.principal)
            call = await funding_call_by_uri(session, state.finder, data.funding_call, today=today)
            await offer_pledge(session, state.urls, actor, call, data, today=today)
            await session.commit()
        except Forbidden:
            raise
        except ServiceError as error:
            errors = field_error(error) if error.status == 422 else {"funding_call": error.message}
        else:
            state.federation.wake_delivery()
            # back to the call's page when the pledge was made there
            return see_other(local_path(form.get("next"), f"/app/@{member.actor.username}"))
    context = {"form": form, "errors": errors, "sectors": SECTORS}
    return member.page("offer_form.html", context, status=422)
