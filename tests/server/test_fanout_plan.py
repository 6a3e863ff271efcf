"""The fan-out query's plan does not depend on statistics: on a fresh database holding
followers bulk-inserted without ``ANALYZE``, the actor's follows are read first and each
follower is looked up by its key, never every actor joined against every follow (once 15 s for
20 000 followers on PostgreSQL, docs/performance.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from bench.database import add_followers, create_publisher
from server.clock import utcnow
from server.publishing.fanout import fanout_statement
from server.storage.db import Database


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _explained(url: str) -> list[Any]:
    """Seed 2 000 followers of one actor without statistics; return the fan-out's plan rows."""
    db = Database(url)
    try:
        publisher = await create_publisher(db, "http://communs.test", "pub")
        await add_followers(
            db, publisher.actor_id, 2000, tag="plan", inbox_base="https://i.test", analyze=False
        )
        dialect = sqlite.dialect() if db.is_sqlite else postgresql.dialect()
        statement = fanout_statement("a" * 32, publisher.actor_id, utcnow(), dialect=dialect.name)
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (FORMAT JSON) "
        async with db.engine.connect() as connection:
            return list((await connection.execute(text(explain + sql))).all())
    finally:
        await db.dispose()


async def test_fanout_plan__follows_first_then_each_follower_by_key(
    second_database_url: str,
) -> None:
    # Given a fresh database (no statistics) with 2 000 followers inserted in bulk
    backend = "sqlite" if second_database_url.startswith("sqlite") else "postgresql"

    # When the fan-out query is planned
    rows = await _explained(second_database_url)

    # Then actor rows are only ever reached by their primary key, from the follows
    if backend == "sqlite":
        steps = [row[-1] for row in rows]
        on_actor = [step for step in steps if "actor" in step.split()]
        assert any("follow USING" in step for step in steps), steps
        assert on_actor and all("INTEGER PRIMARY KEY" in step for step in on_actor), steps
        return
    [[document]] = rows
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    scans = [node for node in _nodes(plan) if node.get("Relation Name") == "actor"]
    assert scans, plan
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
        assert scan["Index Name"] == "actor_pkey" and "follower_id" in scan["Index Cond"], scan
    assert not any("Join Filter" in node for node in _nodes(plan)), plan
