"""Group commit of accepted inbox activities: many requests, one INSERT and one COMMIT.

The database write, not the crypto, bounds the inbox (DESIGN.md §12: ≈ 600 requests/s with a
commit each, ≈ 2 200/s batched). Each request waits until the batch holding its activity is
committed before it is answered 202, so nothing accepted is ever lost. Ids already stored are
skipped by ``ON CONFLICT DO NOTHING`` and reported as duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from schemas.states import ActivityState
from server.db import Database, utcnow
from server.models import Activity
from server.urls import new_id

__all__ = ["BATCH_SIZE", "GroupCommitter"]

log = logging.getLogger("communs.ingest")

BATCH_SIZE = 200


@dataclass
class _Pending:
    row: dict[str, Any]
    done: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    """Collects incoming activities and writes them in batches from one task."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None

    async def record(
        self, *, uri: str, type: str, actor_uri: str, object_uri: str | None, body: bytes
    ) -> bool:
        """Store one activity; return ``False`` if its id was already stored."""
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._write_forever(self._queue))
        assert self._queue is not None
        pending = _Pending(
            row={
                "id": new_id(),
                "uri": uri,
                "type": type[:64],
                "actor_uri": actor_uri,
                "object_uri": object_uri[:2048] if object_uri else None,
                "direction": "in",
                "is_public": False,
                "body": body,
                "state": ActivityState.received.value,
                "attempts": 0,
                "next_attempt_at": utcnow(),
                "created_at": utcnow(),
            }
        )
        await self._queue.put(pending)
        return await pending.done

    async def close(self) -> None:
        """Stop the writer once the queue is empty."""
        if self._task is not None:
            assert self._queue is not None
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _write_forever(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH_SIZE and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._write(batch)
            except (DBAPIError, IntegrityError, OSError) as exc:
                log.warning("batch insert failed (%s); writing one by one", exc)
                for pending in batch:
                    await self._write_one(pending)
            finally:
                for _ in batch:
                    queue.task_done()

    def _insert(self) -> Any:
        dialect_insert = sqlite_insert if self.db.is_sqlite else pg_insert
        return dialect_insert(Activity).on_conflict_do_nothing(index_elements=["uri"])

    async def _write(self, batch: list[_Pending]) -> None:
        seen: dict[str, _Pending] = {}
        for pending in batch:  # the same id twice in one batch: the first is the new one
            seen.setdefault(pending.row["uri"], pending)
        unique = list(seen.values())
        async with self.db.session() as session:
            result = await session.execute(
                self._insert().returning(Activity.uri), [p.row for p in unique]
            )
            inserted = set(result.scalars())
            await session.commit()
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(
                    pending.row["uri"] in inserted and seen[pending.row["uri"]] is pending
                )

    async def _write_one(self, pending: _Pending) -> None:
        try:
            async with self.db.session() as session:
                result = await session.execute(
                    self._insert().returning(Activity.uri), [pending.row]
                )
                inserted = result.scalar_one_or_none() is not None
                await session.commit()
        except (DBAPIError, IntegrityError, OSError) as exc:
            if not pending.done.done():
                pending.done.set_exception(exc)
            return
        if not pending.done.done():
            pending.done.set_result(inserted)
