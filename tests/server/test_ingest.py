"""Group commit of inbox activities: concurrent requests share commits, nothing is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from server.inbox.ingest import GroupCommitter, Outcome, Row, Written, _SqliteBatches
from server.storage.db import Database
from server.storage.models import Activity
from server.urls import new_id
from tests.conftest import create_scratch_database


def _record(
    committer: GroupCommitter,
    uri: str,
    *,
    type: str = "Create",
    actor_uri: Any = "https://remote.example/u",
) -> Coroutine[Any, Any, bool]:
    """Record one activity with an empty body, as the inbox would."""
    return committer.record(uri=uri, type=type, actor_uri=actor_uri, object_uri=None, body=b"{}")


async def test_group_commit__concurrent_records_stored_once_each(database_url: str) -> None:
    # Given a committer, and 400 concurrent activities of which 100 repeat an earlier id
    db = Database(database_url)
    committer = GroupCommitter(db)
    uris = [f"https://remote.example/a/{n}" for n in range(300)] + [
        f"https://remote.example/a/{n}" for n in range(0, 300, 3)
    ]

    # When they are all recorded at once
    results = await asyncio.gather(*(_record(committer, uri) for uri in uris))
    await committer.close()

    # Then each id is new exactly once, and the table holds each exactly once
    new = [uri for uri, is_new in zip(uris, results, strict=True) if is_new]
    assert sorted(new) == sorted(set(uris))
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Activity))
    await db.dispose()
    assert stored == 300


async def test_group_commit__an_id_already_stored_is_a_duplicate(database_url: str) -> None:
    db = Database(database_url)
    committer = GroupCommitter(db)
    record: dict[str, Any] = dict(
        uri="https://remote.example/a/1",
        type="Like",
        actor_uri="https://remote.example/u",
        object_uri=None,
        body=b"{}",
    )
    assert await committer.record(**record) is True
    assert await committer.record(**record) is False
    await committer.close()
    await db.dispose()


async def test_group_commit__survives_the_server_dropping_its_connections(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: the writer keeps its own connections open between batches")
    db = Database(database_url)
    committer = GroupCommitter(db)
    record: dict[str, Any] = dict(
        type="Like", actor_uri="https://remote.example/u", object_uri=None, body=b"{}"
    )
    assert await committer.record(uri="https://remote.example/a/1", **record) is True

    # When the server ends every other session (a restart, an idle timeout, a failover)
    async with db.engine.connect() as admin:
        ended = await admin.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert ended

    # Then the next activity is still stored, answered as new
    assert await committer.record(uri="https://remote.example/a/2", **record) is True
    await committer.close()
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Activity))
    await db.dispose()
    assert stored == 2


async def test_group_commit__a_row_that_cannot_be_stored_fails_alone(database_url: str) -> None:
    # Given 20 concurrent activities, one of which the database refuses (no actor: NOT NULL)
    db = Database(database_url)
    committer = GroupCommitter(db)
    actors: list[Any] = ["https://remote.example/u"] * 20
    actors[7] = None

    # When they are recorded together, so that they share a batch
    results = await asyncio.gather(
        *(
            _record(committer, f"https://remote.example/a/{n}", actor_uri=actor)
            for n, actor in enumerate(actors)
        ),
        return_exceptions=True,
    )
    await committer.close()

    # Then that one request fails, and every other activity is stored as new
    assert isinstance(results[7], Exception)
    assert all(result is True for n, result in enumerate(results) if n != 7)
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Activity))
    await db.dispose()
    assert stored == 19


async def test_group_commit__a_batch_mixing_stored_and_new_ids(database_url: str) -> None:
    db = Database(database_url)
    committer = GroupCommitter(db)

    async def record_all(uris: list[str]) -> list[bool]:
        return await asyncio.gather(*(_record(committer, uri, type="Announce") for uri in uris))

    # Given ten activities stored
    stored = [f"https://remote.example/a/{n}" for n in range(10)]
    assert await record_all(stored) == [True] * 10

    # When they arrive again interleaved with ten new ones
    fresh = [f"https://remote.example/b/{n}" for n in range(10)]
    results = await record_all([uri for pair in zip(stored, fresh, strict=True) for uri in pair])
    await committer.close()
    await db.dispose()

    # Then only the new ones are reported new
    assert results == [False, True] * 10


async def test_group_commit__a_record_after_close_is_refused_rather_than_left_waiting(
    database_url: str,
) -> None:
    db = Database(database_url)
    committer = GroupCommitter(db)
    await committer.close()
    record = _record(committer, "https://remote.example/a/late", type="Like")
    with pytest.raises(RuntimeError, match="closed"):
        await asyncio.wait_for(record, timeout=5)
    await db.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database of its own: the writer thread below is SQLite's alone."""
    url, _ = create_scratch_database("sqlite", tmp_path)
    return url


def _rows(*uris: str, actor_uri: Any = "https://remote.example/u") -> list[Row]:
    return [(new_id(), uri, "Create", actor_uri, None, b"{}", None) for uri in uris]


def _unused(_: Outcome) -> None:
    """The callback the writer would call on the event loop: these tests read what it returns."""


async def _written_together(url: str, *batches: list[Row]) -> tuple[list[Outcome], int]:
    """Write ``batches`` as the SQLite thread does when they waited for it together; return
    each batch's outcome and the number of activities stored."""
    db = Database(url)
    writer = _SqliteBatches(db)
    outcomes = [outcome for _, outcome in writer._write([(rows, _unused) for rows in batches])]
    await writer.close()
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Activity))
    await db.dispose()
    return outcomes, int(stored or 0)


async def test_sqlite_writer__batches_written_together_store_a_shared_id_for_the_first(
    sqlite_url: str,
) -> None:
    # Given two batches that waited for the writer together, both carrying the same new id
    first = _rows("https://remote.example/a/1", "https://remote.example/a/2")
    second = _rows("https://remote.example/a/2", "https://remote.example/a/3")

    # When the writer takes them in one statement
    outcomes, stored = await _written_together(sqlite_url, first, second)

    # Then the shared id is new for the first batch only, and stored once
    assert outcomes == [
        Written({"https://remote.example/a/1", "https://remote.example/a/2"}),
        Written({"https://remote.example/a/3"}),
    ]
    assert stored == 3


async def test_sqlite_writer__a_batch_that_fails_among_others_fails_alone(sqlite_url: str) -> None:
    # Given three batches that waited together, the second holding a row the database refuses
    batches = [
        _rows("https://remote.example/a/1"),
        _rows("https://remote.example/a/2", actor_uri=None),
        _rows("https://remote.example/a/3"),
    ]

    # When the writer takes them
    outcomes, _ = await _written_together(sqlite_url, *batches)

    # Then the other two are stored, and only the second reports the failure
    assert outcomes[0] == Written({"https://remote.example/a/1"})
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert outcomes[2] == Written({"https://remote.example/a/3"})
