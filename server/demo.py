"""Clearly marked demo data so a newcomer sees something at once (``communs serve --demo``).

One actor, one project and one funding call; a later run leaves existing data as it is.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from schemas.api import ActorCreate
from schemas.commons import FundingCallCreate, Money, ProjectCreate
from schemas.states import ActorKind
from server.accounts.accounts import create_account, find_account, set_password
from server.accounts.members import add_member
from server.clock import Clock
from server.domain.access import Role
from server.domain.actors import create_local_actor, ensure_instance_actor
from server.domain.funding import create_funding_call
from server.domain.projects import create_project
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import Actor
from server.urls import Urls

__all__ = ["DEMO_EMAIL", "DEMO_USERNAME", "seed_demo", "seed_demo_account"]

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.org"


async def seed_demo(
    settings: Settings, db: Database, urls: Urls, *, clock: Clock | None = None
) -> None:
    """Create the demo actor, a project and a funding call once."""
    async with db.session() as session:
        await ensure_instance_actor(session, urls, settings.domain)
        found = await session.execute(select(Actor).where(Actor.username == DEMO_USERNAME))
        if found.scalars().first() is not None:
            return
        actor = await create_local_actor(
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
        project = await create_project(
            session,
            urls,
            actor,
            ProjectCreate(
                name="Demo: a shared map of repair cafés (example data)",
                summary="An example digital commons, to show how projects look.",
                description="This project is **demo data**. Real projects describe the commons "
                "they build, its licence and its repository.",
                license="AGPL-3.0-or-later",
                repository_url="https://code.example/demo/repair-map",
                tags=["demo", "opendata"],
            ),
        )
        await session.flush()
        today = (clock or Clock()).today()
        await create_funding_call(
            session,
            urls,
            actor,
            FundingCallCreate(
                title="Demo: fund a year of maintenance (example data)",
                summary="An example funding call: public bodies, companies and people co-fund.",
                project_id=project.id,
                goal=Money(amount="30000.00", currency="EUR"),
                deadline=today + timedelta(days=90),
                tags=["demo"],
            ),
            today=today,
        )
        await session.commit()


async def seed_demo_account(
    settings: Settings, db: Database, urls: Urls, *, clock: Clock | None = None
) -> tuple[str, str]:
    """Make the demo account (an admin, owner of the demo actor) with a new random password;
    return its email and password, to be printed (only the hash is stored)."""
    now = (clock or Clock()).now()
    password = secrets.token_urlsafe(12)
    async with db.session() as session:
        account = await find_account(session, DEMO_EMAIL)
        if account is None:
            account = await create_account(
                session, DEMO_EMAIL, password=password, is_admin=True, confirmed=True, now=now
            )
        else:
            await set_password(session, account, password, now=now)
        actor = await session.scalar(select(Actor).where(Actor.username == DEMO_USERNAME))
        if actor is not None and account.id is not None and actor.id is not None:
            await add_member(session, account.id, actor.id, Role.owner)
        await session.commit()
    return DEMO_EMAIL, password
