"""A reject cuts off exactly the hosts it governs, as ``rule_for`` reads the blocks."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from schemas.states import DeliveryState
from server.domain.moderation import set_domain_block
from server.storage.models import Actor, Delivery, Follow
from tests.conftest import create_actor
from tests.server.test_delivery import add_remote_followers, publish_note


async def followed_from(app: FastAPI, *hosts: str) -> None:
    """Give coop one follower on each of ``hosts``, and a publication pending to each."""
    actor, _ = await create_actor(app, "coop")
    await add_remote_followers(app, actor, [(f"https://{host}/inbox", None) for host in hosts])
    await publish_note(app, actor)


async def followers_by_domain(app: FastAPI) -> set[str]:
    async with app.state.communs.db.session() as session:
        rows = await session.execute(
            select(Actor.domain).join(Follow, Follow.follower_id == Actor.id)
        )
        return set(rows.scalars())


async def delivery_states(app: FastAPI) -> dict[str, str]:
    async with app.state.communs.db.session() as session:
        rows = await session.execute(select(Delivery.host, Delivery.state))
        return dict(rows.all())


async def block(app: FastAPI, host: str, level: str) -> tuple[int, int]:
    async with app.state.communs.db.session() as session:
        change = await set_domain_block(session, host, level, local_domain="communs.test")
    return change.follows_removed, change.deliveries_abandoned


async def test_set_domain_block__reject_spares_a_subdomain_with_its_own_milder_block(
    app: FastAPI,
) -> None:
    # Given followers on two subdomains of remote.example, one of them silenced on its own
    await followed_from(app, "quiet.remote.example", "loud.remote.example")
    await block(app, "quiet.remote.example", "silence")

    # When an admin rejects remote.example
    removed, abandoned = await block(app, "remote.example", "reject")

    # Then the more specific silence governs quiet.remote.example: its follower stays, and so
    # does its pending delivery; loud.remote.example is cut off
    assert (removed, abandoned) == (1, 1)
    assert await followers_by_domain(app) == {"quiet.remote.example"}
    assert await delivery_states(app) == {
        "quiet.remote.example": DeliveryState.pending,
        "loud.remote.example": DeliveryState.abandoned,
    }


async def test_set_domain_block__reject_cuts_off_a_domain_written_with_a_final_dot(
    app: FastAPI,
) -> None:
    # Given a follower whose actor domain was stored with a final dot, and one on a look-alike
    await followed_from(app, "a.remote.example", "otherremote.example")
    async with app.state.communs.db.session() as session:
        dotted = (
            await session.execute(select(Actor).where(Actor.domain == "a.remote.example"))
        ).scalar_one()
        dotted.domain = "a.remote.example."
        await session.commit()

    # When an admin rejects remote.example
    removed, _ = await block(app, "remote.example", "reject")

    # Then the dotted domain's follow is gone, the look-alike's stays
    assert removed == 1
    assert await followers_by_domain(app) == {"otherremote.example"}
