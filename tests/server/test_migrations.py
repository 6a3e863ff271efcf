"""Models and migrations agree, on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import server.storage.models  # noqa: F401
from alembic import command
from server.storage.db import Database
from server.storage.migrations import alembic_config


async def test_migrations__match_models(database_url: str) -> None:
    # Given a database migrated to head
    db = Database(database_url)

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    # When autogenerate compares it with the models
    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await db.dispose()

    # Then it finds nothing to change
    assert differences == []


async def test_migrations__every_step_downgrades_and_upgrades_again(database_url: str) -> None:
    # Given a database at head (the fixture migrated it)
    config = alembic_config(database_url)

    # When it is taken down to the first revision and back up, one step at a time
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(command.upgrade, config, "head")

    # Then it matches the models again
    await test_migrations__match_models(database_url)
