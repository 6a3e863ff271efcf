"""Readiness: whether the database is reachable, writable and migrated to the newest revision.

``/readyz`` answers 503 unless it is (the Docker health check asks it); ``/healthz`` only says
the process is alive. The write is made in a transaction that is rolled back: it changes
nothing, but a read-only database (a read-only SQLite file, a PostgreSQL standby) refuses it.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from server.storage.db import Database
from server.storage.migrations import head_revisions

__all__ = ["unready"]

log = logging.getLogger("communs.readiness")


async def unready(db: Database) -> str | None:
    """Return why the database cannot serve now, or None when it can."""
    trouble = "unreachable"
    try:
        async with db.engine.connect() as connection:
            versions = set((await connection.execute(text(_VERSIONS))).scalars())
            if versions != head_revisions():
                return "the database is not migrated to the newest revision"
            trouble = "read-only"
            try:
                await connection.execute(text(_NO_CHANGE))
            finally:
                await connection.rollback()
    except Exception as exc:  # what it is goes to the log, not to whoever asks
        log.warning("not ready, the database is %s: %s", trouble, str(exc).split("\n")[0][:300])
        return f"the database is {trouble}"
    return None


_VERSIONS = "SELECT version_num FROM alembic_version"
_NO_CHANGE = "UPDATE alembic_version SET version_num = version_num"
