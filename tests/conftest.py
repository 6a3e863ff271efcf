"""Shared fixtures: a migrated scratch database per backend, and an app bound to it.

Every database test runs on SQLite and, when ``COMMUNS_TEST_POSTGRES_URL`` is set, on
PostgreSQL too (the ``database_url`` fixture is parametrised over both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from server.main import create_app
from server.settings import Settings
from server.storage import scratch
from server.storage.db import Database

POSTGRES_URL = os.environ.get("COMMUNS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
TEST_BASE_URL = "http://communs.test"


def create_scratch_database(backend: str, tmp_dir: Path) -> tuple[str, Any]:
    """Create and migrate an empty database; return its URL and a function that drops it."""
    postgres_url = POSTGRES_URL if backend == "postgresql" else None
    return scratch.create_scratch_database(tmp_dir, postgres_url=postgres_url)


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One migrated scratch database per backend for the whole run."""
    url, drop = create_scratch_database(request.param, tmp_path_factory.mktemp("db"))
    yield url
    drop()


@pytest.fixture
async def database_url(migrated_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """The scratch database, empty: a copy of the migrated SQLite file, or the PostgreSQL
    database truncated (a DELETE would meet the triggers that keep history rows forever)."""
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "communs.db"
        shutil.copyfile(make_url(migrated_database).database or "", copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    db = Database(migrated_database)
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    await db.dispose()
    yield migrated_database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on the emptied scratch database, disposed after the test."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def second_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another scratch database on the same backend as ``database_url`` (a second instance)."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url, drop = create_scratch_database(backend, tmp_path)
    yield url
    drop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of a test instance at ``http://communs.test``."""
    return Settings(
        base_url=TEST_BASE_URL,
        database_url=database_url,
        run_workers=False,
        allow_private_networks=True,
        media_dir=tmp_path / "media",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client for the app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as http:
        yield http


async def create_actor(app: FastAPI, username: str, **fields: Any) -> tuple[Any, str]:
    """Create a local actor and a read/write token for it; return (actor row, token)."""
    from schemas.api import ActorCreate
    from server.domain.actors import create_local_actor
    from server.domain.tokens import issue_token

    state = app.state.communs
    data = ActorCreate(username=username, name=fields.pop("name", username.title()), **fields)
    async with state.db.session() as session:
        actor = await create_local_actor(session, state.urls, state.domain, data)
        token = await issue_token(session, actor_id=actor.id, scopes=["read", "write"])
    return actor, token


@pytest.fixture
async def admin_token(app: FastAPI) -> str:
    """An admin-scoped token."""
    from server.domain.tokens import issue_token

    async with app.state.communs.db.session() as session:
        return await issue_token(session, actor_id=None, scopes=["read", "write", "admin"])
