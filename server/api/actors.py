"""JSON API: the instance and its actors."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from schemas.api import ActorCreate, ActorPublic, ActorUpdate, InstancePublic
from server import __version__
from server.domain.access import Role, require_role
from server.domain.actors import (
    actor_public,
    create_local_actor,
    delete_local_actor,
    get_local_actor,
    instance_username,
    update_actor,
)
from server.http.deps import Admin, SessionDep, StateDep, Writer
from server.http.doccache import actor_key
from server.http.jsonroute import StorableJSONRoute
from server.storage.models import Actor

router = APIRouter(prefix="/api/v1", tags=["instance and actors"], route_class=StorableJSONRoute)


@router.get("/instance")
async def get_instance(state: StateDep, session: SessionDep) -> InstancePublic:
    """Describe this instance."""
    users = await session.scalar(
        select(func.count())
        .select_from(Actor)
        .where(Actor.is_local == True, Actor.username != instance_username(state.urls))
    )
    return InstancePublic(
        domain=state.domain,
        base_url=state.urls.base,
        name=state.settings.instance_name,
        description=state.settings.instance_description,
        version=__version__,
        actor=state.urls.instance_actor,
        users=int(users or 0),
        authorized_fetch=state.settings.authorized_fetch,
    )


@router.post("/actors", status_code=201)
async def post_actor(
    body: ActorCreate, _: Admin, state: StateDep, session: SessionDep
) -> ActorPublic:
    """Create a local actor with its key pair (admin scope)."""
    actor = await create_local_actor(session, state.urls, state.domain, body)
    state.documents.forget_pages()  # the directory lists it
    return await actor_public(session, actor)


@router.get("/actors/{username}")
async def get_actor(username: str, session: SessionDep) -> ActorPublic:
    """Read a local actor."""
    return await actor_public(session, await get_local_actor(session, username))


@router.delete("/actors/{username}", status_code=204)
async def delete_actor(username: str, caller: Writer, state: StateDep, session: SessionDep) -> None:
    """Delete a local actor for good (its own token, or an admin): followers' and followed
    servers get ``Delete``, its URLs answer 410 and its username is never reused."""
    actor = await get_local_actor(session, username)
    require_role(caller, actor, Role.owner)
    await delete_local_actor(session, state.urls, actor)
    state.federation.store.forget_inbox(username)
    state.documents.forget(actor_key(username))
    state.federation.wake_delivery()


@router.patch("/actors/{username}")
async def patch_actor(
    username: str, body: ActorUpdate, caller: Writer, state: StateDep, session: SessionDep
) -> ActorPublic:
    """Update a local actor (its own token, or an admin)."""
    actor = await get_local_actor(session, username)
    require_role(caller, actor, Role.owner)
    actor = await update_actor(session, state.urls, actor, body)
    state.documents.forget(actor_key(username))
    state.federation.wake_delivery()
    return await actor_public(session, actor)
