"""Clearly marked demo data so a newcomer sees something at once (``communs serve --demo``).

One actor, one project and one funding call, with pictures drawn here with Pillow (nothing
downloaded); a later run leaves existing data as it is.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from datetime import timedelta

from PIL import Image, ImageDraw
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
from server.media import MediaFiles, MediaKind, add_picture, set_actor_picture
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
    """Create the demo actor (with an avatar and a header), a project (with a logo and an
    image) and a funding call, once."""
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
        files = MediaFiles(settings.media_dir)
        for kind, drawing in ((MediaKind.avatar, _avatar), (MediaKind.header, _header)):
            await set_actor_picture(session, urls, files, actor, kind, _drawn(drawing))
        for kind, drawing, alt in (
            (MediaKind.logo, _logo, "A map pin (demo logo)"),
            (
                MediaKind.image,
                _map,
                "Example map: repair cafés as orange dots on a grid of streets (demo data)",
            ),
        ):
            await add_picture(
                session,
                urls,
                files,
                actor,
                project,
                kind,
                _drawn(drawing),
                description=alt,
                today=today,
            )


_GREEN, _AMBER, _PAPER = (27, 127, 107), (230, 140, 40), (246, 243, 236)


def _drawn(drawing: Callable[[], Image.Image]) -> bytes:
    """Return a picture drawn by ``drawing`` as PNG (uploaded as any other picture)."""
    out = io.BytesIO()
    drawing().save(out, format="PNG")
    return out.getvalue()


def _avatar() -> Image.Image:
    picture = Image.new("RGB", (400, 400), _GREEN)
    pen = ImageDraw.Draw(picture)
    for radius, color in ((150, _PAPER), (110, _AMBER), (60, _PAPER)):
        pen.ellipse((200 - radius, 200 - radius, 200 + radius, 200 + radius), fill=color)
    return picture


def _header() -> Image.Image:
    picture = Image.new("RGB", (1500, 500))
    pen = ImageDraw.Draw(picture)
    for x in range(1500):
        mix = x / 1499
        pen.line(
            [(x, 0), (x, 500)],
            fill=tuple(round(g + (a - g) * mix) for g, a in zip(_GREEN, _AMBER, strict=True)),
        )
    for n in range(7):
        left = 120 + n * 200
        pen.ellipse((left, 300 - n * 25, left + 120, 420 - n * 25), outline=_PAPER, width=6)
    return picture


def _logo() -> Image.Image:
    picture = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    pen = ImageDraw.Draw(picture)
    pen.polygon([(110, 190), (290, 190), (200, 380)], fill=_GREEN)
    pen.ellipse((100, 40, 300, 240), fill=_GREEN)
    pen.ellipse((160, 100, 240, 180), fill=_PAPER)
    return picture


def _map() -> Image.Image:
    picture = Image.new("RGB", (1200, 800), _PAPER)
    pen = ImageDraw.Draw(picture)
    for step in range(0, 1200, 80):
        pen.line([(step, 0), (step + 200, 800)], fill=(200, 196, 186), width=4)
        pen.line([(0, step * 2 // 3), (1200, step * 2 // 3 + 60)], fill=(200, 196, 186), width=4)
    for x, y in ((210, 180), (480, 420), (760, 260), (930, 610), (330, 650), (1040, 140)):
        pen.ellipse((x - 22, y - 22, x + 22, y + 22), fill=_AMBER, outline=_GREEN, width=5)
    return picture


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
