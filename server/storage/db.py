"""Database engine, sessions and the column types shared by the models.

SQLite gets one connection (one writer: measured p99 of 70–80 ms instead of 0.3–0.8 s with a
pool, docs/performance.md), WAL mode and a busy timeout; PostgreSQL gets a normal pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Result, event, text
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.types import TypeDecorator

__all__ = [
    "MAX_BIG_ID",
    "MAX_ID",
    "Database",
    "UTCDateTime",
    "affected",
    "parse_id",
    "plan_each_statement",
    "reopen_when_read_only",
    "sqlite_pragmas",
]

#: The largest id of an ``Integer`` key (PostgreSQL's int4), and of a ``BigInteger`` one: a
#: larger number in a query is a database error, not an empty answer.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1


async def plan_each_statement(session: AsyncSession) -> None:
    """Have PostgreSQL plan each statement of the session's transaction for its own values.

    asyncpg prepares statements, and after five runs PostgreSQL may keep a generic plan made
    without the values: one fitting an average tag or word, not a rare one (a directory query
    for a rare tag went from 1 ms to 38 ms so, docs/performance.md, eleventh round). Planning
    costs a fraction of a millisecond; for queries whose values decide the plan it is cheap.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def affected(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE changed (typed as a plain ``Result``)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def parse_id(text: str, *, largest: int = MAX_ID) -> int | None:
    """Return the id ``text`` spells in ASCII digits, or None (not such digits, or too large:
    ``str.isdigit`` also takes ``²`` and other digits ``int`` refuses)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(largest)):
        return None
    value = int(text)
    return value if value <= largest else None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """The engine and session factory of one database URL."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs = {
                "poolclass": AsyncAdaptedQueuePool,
                "pool_size": 1,
                "max_overflow": 0,
                "pool_timeout": 60,
                "connect_args": {"timeout": 30},
            }
        else:
            kwargs = {
                "pool_size": pool_size,
                "max_overflow": pool_size,
                "pool_pre_ping": True,
            }
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
            event.listen(self.engine.sync_engine, "handle_error", reopen_when_read_only)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield a session; the caller commits."""
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set WAL, relaxed syncing within WAL, foreign keys and a busy timeout on a connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def reopen_when_read_only(context: ExceptionContext) -> None:
    """Treat SQLite's "readonly database" as a lost connection: one opened while the file was
    read-only stays so, and the pool must open another once it is writable again (recovery
    without a restart)."""
    if "readonly database" in str(context.original_exception):
        context.is_disconnect = True
