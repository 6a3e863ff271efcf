"""The account's actors, creating one, an actor's dashboard and its profile."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from schemas.api import ActorCreate, ActorUpdate
from schemas.states import ActorKind, FollowState
from server.accounts.members import actors_of, add_member
from server.domain.access import Role, require_role
from server.domain.actors import create_local_actor, ensure_instance_actor, update_actor
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.notes import figures
from server.domain.projects import projects_of
from server.errors import Conflict, Invalid
from server.http.deps import SessionDep
from server.http.doccache import actor_key
from server.i18n import N_
from server.publishing.status import list_deliveries
from server.storage.models import Actor, Follow
from server.webapp.forms import FormDep, WebRoute, field_error, see_other, validate
from server.webapp.visitors import MemberDep, SignedInDep

__all__ = ["KINDS", "LANGUAGES", "router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)

KINDS = [
    (ActorKind.cooperative, N_("Cooperative")),
    (ActorKind.company, N_("Company")),
    (ActorKind.public_body, N_("Public body")),
    (ActorKind.association, N_("Association")),
    (ActorKind.collective, N_("Collective")),
    (ActorKind.person, N_("Person")),
]
LANGUAGES = [("fr", "Français"), ("en", "English")]


def _may_create_actors(visitor: SignedInDep) -> bool:
    assert visitor.account is not None
    return visitor.account.is_admin or visitor.state.settings.registrations != "closed"


@router.get("/app")
async def my_actors(visitor: SignedInDep, session: SessionDep) -> Response:
    """The actors the account runs, and a form to create one (when allowed)."""
    assert visitor.account is not None and visitor.account.id is not None
    actors = await actors_of(session, visitor.account.id)
    context = {"actors": actors, "may_create": _may_create_actors(visitor), "errors": {}}
    return visitor.page("actors.html", context | {"kinds": KINDS, "form": {}})


@router.post("/app/actors")
async def create_actor(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Create an actor with the account as its owner."""
    assert visitor.account is not None and visitor.account.id is not None
    if not _may_create_actors(visitor):
        raise Invalid(N_("Only admins create actors on this instance."))
    data, errors = validate(ActorCreate, {k: v for k, v in form.items() if k != "csrf" and v})
    if data is not None:
        state = visitor.state
        await ensure_instance_actor(session, state.urls, state.domain)
        try:
            actor = await create_local_actor(session, state.urls, state.domain, data)
        except (Invalid, Conflict) as error:
            errors = {"username": error.message}
        else:
            await add_member(session, visitor.account.id, actor.id or 0, Role.owner)
            await session.commit()
            return see_other(f"/app/@{actor.username}")
    actors = await actors_of(session, visitor.account.id)
    context = {"actors": actors, "may_create": True, "errors": errors, "kinds": KINDS}
    return visitor.page("actors.html", context | {"form": form}, status=422)


@router.get("/app/@{username}")
async def dashboard(member: MemberDep, session: SessionDep) -> Response:
    """An actor's dashboard: projects, calls, requests waiting, recent deliveries."""
    actor = member.actor
    assert actor.id is not None
    today = member.visitor.state.clock.today()
    requests = await session.scalar(
        select(Follow.id).where(Follow.followed_id == actor.id, Follow.state == FollowState.pending)
    )
    context = {
        "projects": await projects_of(session, actor.id),
        "calls": [
            (call, figures(call, language=member.visitor.language), effective_status(call, today))
            for call in await funding_calls_of(session, actor_id=actor.id)
        ],
        "has_requests": requests is not None,
        "deliveries": await list_deliveries(session, actor_id=actor.id, limit=10),
    }
    return member.page("dashboard.html", context)


def _profile_form(actor: Actor) -> dict[str, str]:
    return {
        "name": actor.name,
        "kind": actor.kind or "",
        "summary": actor.summary_source or "",
        "legal_form": actor.legal_form or "",
        "siren": actor.siren or "",
        "region": actor.region or "",
        "website": actor.website or "",
        "language": actor.language,
        "manually_approves_followers": "true" if actor.manually_approves_followers else "",
    }


@router.get("/app/@{username}/profile")
async def profile_page(member: MemberDep) -> Response:
    """Edit the actor's profile (owners)."""
    require_role(member.principal, member.actor, Role.owner)
    context = {"form": _profile_form(member.actor), "errors": {}, "kinds": KINDS}
    return member.page("profile_form.html", context | {"languages": LANGUAGES})


@router.post("/app/@{username}/profile")
async def save_profile(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Save the profile; followers get an ``Update`` of the actor."""
    require_role(member.principal, member.actor, Role.owner)
    fields: dict[str, object] = {
        k: (v or None) for k, v in form.items() if k in _profile_form(member.actor)
    }
    fields["summary"] = form.get("summary", "")
    fields["manually_approves_followers"] = form.get("manually_approves_followers") == "true"
    data, errors = validate(ActorUpdate, fields)
    if data is not None:
        actor = await session.merge(member.actor)
        state = member.visitor.state
        try:
            await update_actor(session, state.urls, actor, data)
        except Invalid as error:
            errors = field_error(error)
        else:
            state.documents.forget(actor_key(actor.username))
            state.federation.wake_delivery()
            return see_other(f"/app/@{actor.username}")
    context = {"form": form, "errors": errors, "kinds": KINDS, "languages": LANGUAGES}
    return member.page("profile_form.html", context, status=422)
