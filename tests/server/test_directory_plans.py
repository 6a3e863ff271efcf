"""The directory's statements are planned for their own values on PostgreSQL: a generic plan,
kept by a prepared statement after five runs, fitted an average tag and read every call for
a rare one (38 ms against 1 ms, docs/performance.md, eleventh round)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from server.domain.directory import DirectoryFilters, list_directory


async def test_directory__plans_each_statement_for_its_values(app: FastAPI) -> None:
    # Given a session of the database
    state = app.state.communs
    async with state.db.session() as session:
        # When the directory is searched for a tag
        page = await list_directory(
            session, DirectoryFilters(tag="rare"), cursor=None, limit=20, today=state.clock.today()
        )
        assert page.items == []

        # Then, on PostgreSQL, its transaction plans every statement with its values
        if not state.db.is_sqlite:
            mode = await session.scalar(text("SHOW plan_cache_mode"))
            assert mode == "force_custom_plan"

    # And that lasts only for its transaction
    if not state.db.is_sqlite:
        async with state.db.session() as session:
            assert await session.scalar(text("SHOW plan_cache_mode")) == "auto"
