"""Alembic environment: runs migrations on the async engine of ``COMMUNS_DATABASE_URL``."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import server.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from server.storage.db import UTCDateTime
from server.storage.search import is_search_object
from server.settings import Settings

target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types as plain SQLAlchemy types so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and type(obj).__module__.startswith("sqlmodel"):
        length = getattr(obj, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the search indexes (migration 0013: FTS5 tables, GIN indexes) out of
    autogenerate: they are made by raw SQL, not by the models."""
    return not is_search_object(name)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        compare_type=True,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run())
