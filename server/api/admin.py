"""JSON API for admins: domain blocks and actor suspensions (admin scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from server.domain.moderation import (
    ActorModeration,
    DomainBlockChange,
    DomainBlockUpdate,
    DomainPublic,
    list_domains,
    set_domain_block,
    suspend_actor,
    unsuspend_actor,
)
from server.http.deps import Admin, SessionDep, StateDep
from server.http.doccache import actor_key
from server.http.jsonroute import StorableJSONRoute

router = APIRouter(prefix="/api/v1/admin", tags=["moderation"], route_class=StorableJSONRoute)

Host = Annotated[str, Path(max_length=300, description="host[:port], e.g. spam.example")]


@router.get("/domains")
async def get_domains(_: Admin, session: SessionDep) -> list[DomainPublic]:
    """Domains that are silenced, blocked (``reject``) or marked unavailable."""
    return await list_domains(session)


@router.put("/domains/{host}")
async def put_domain(
    host: Host, body: DomainBlockUpdate, _: Admin, state: StateDep, session: SessionDep
) -> DomainBlockChange:
    """Set a domain's block: ``none``, ``silence`` or ``reject`` (422 for a malformed host)."""
    change = await set_domain_block(session, host, body.block, local_domain=state.domain)
    state.federation.store.forget_domains()
    state.documents.forget_pages()  # the directory leaves out silenced domains
    return change


@router.post("/actors/{username}/suspend")
async def post_suspend(
    username: str, _: Admin, state: StateDep, session: SessionDep
) -> ActorModeration:
    """Suspend a local actor (404 if there is none of that name)."""
    change = await suspend_actor(session, username)
    state.documents.forget(actor_key(username))
    return change


@router.post("/actors/{username}/unsuspend")
async def post_unsuspend(
    username: str, _: Admin, state: StateDep, session: SessionDep
) -> ActorModeration:
    """Lift a local actor's suspension (404 if there is none of that name)."""
    change = await unsuspend_actor(session, username)
    state.documents.forget(actor_key(username))
    return change
