"""Models and migrations agree, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import server.models  # noqa: F401
from server.db import Database


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
