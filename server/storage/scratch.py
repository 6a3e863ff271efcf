"""Scratch databases: created empty, migrated to head, and dropped when done.

The test suite and the benchmarks both run every case on SQLite and, when given a PostgreSQL
server (``COMMUNS_TEST_POSTGRES_URL``), on a fresh database of that server: one helper makes
both, so they migrate and clean up the same way.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from server.settings import Settings
from server.storage.migrations import upgrade

__all__ = ["create_scratch_database", "run_on_server", "scratch_database"]


async def run_on_server(postgres_url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server of ``postgres_url`` (CREATE/DROP DATABASE,
    which cannot run inside a transaction)."""
    import asyncpg

    url = make_url(Settings(database_url=postgres_url).database_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_scratch_database(
    folder: Path, *, postgres_url: str | None = None, prefix: str = "communs"
) -> tuple[str, Callable[[], None]]:
    """Create and migrate an empty database; return its URL and a function that drops it.

    A SQLite file in ``folder``, or, given ``postgres_url``, a new database on that server.
    """
    if postgres_url is None:
        url = f"sqlite+aiosqlite:///{folder / f'{prefix}-{secrets.token_hex(4)}.db'}"
        upgrade(url)
        return url, lambda: None
    name = f"{prefix}_test_{secrets.token_hex(6)}"
    asyncio.run(run_on_server(postgres_url, f'CREATE DATABASE "{name}"'))
    admin = make_url(Settings(database_url=postgres_url).database_url)
    url = admin.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        asyncio.run(run_on_server(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        upgrade(url)
    except BaseException:
        drop()
        raise
    return url, drop


@contextmanager
def scratch_database(
    folder: Path, *, postgres_url: str | None = None, prefix: str = "communs"
) -> Iterator[str]:
    """Yield the URL of a new migrated database (as ``create_scratch_database``); drop it
    afterwards."""
    url, drop = create_scratch_database(folder, postgres_url=postgres_url, prefix=prefix)
    try:
        yield url
    finally:
        drop()
