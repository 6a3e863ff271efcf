"""A clearly marked demo actor so a newcomer sees something at once (``communs serve --demo``)."""

from __future__ import annotations

from sqlmodel import select

from schemas.api import ActorCreate
from schemas.states import ActorKind
from server.actors import create_local_actor, ensure_instance_actor
from server.db import Database
from server.models import Actor
from server.settings import Settings
from server.urls import Urls

__all__ = ["DEMO_USERNAME", "seed_demo"]

DEMO_USERNAME = "demo"


async def seed_demo(settings: Settings, db: Database, urls: Urls) -> None:
    """Create the demo actor once; later runs leave it as it is."""
    async with db.session() as session:
        await ensure_instance_actor(session, urls, settings.domain)
        if (
            (await session.execute(select(Actor).where(Actor.username == DEMO_USERNAME)))
            .scalars()
            .first()
        ):
            return
        await create_local_actor(
            session,
            urls,
            settings.domain,
            ActorCreate(
                username=DEMO_USERNAME,
                name="Demo cooperative (example data)",
                kind=ActorKind.cooperative,
                summary="**Demo data**, seeded by `communs serve --demo`. "
                "It shows what a commons actor looks like; delete the database to remove it.",
                legal_form="SCOP",
                region="Auvergne-Rhône-Alpes",
                website="https://communs.example",
            ),
        )
