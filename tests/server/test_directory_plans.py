"""The directory's statements are planned for their own values on PostgreSQL: a generic plan,
kept by a prepared statement after five runs, fitted an average tag and read every call for
a rare one (38 ms against 1 ms, docs/performance.md, eleventh round)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import literal, select, text
from sqlalchemy.dialects import postgresql

from server.domain.directory import DirectoryFilters, list_directory
from server.domain.listing import by_text
from server.storage.models import Project


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


def test_search__among_the_newest_rows_postgresql_checks_each_row_not_the_index() -> None:
    # Given a text condition for the newest rows' window, and one for every row
    def compiled(since: object) -> str:
        query = select(Project.id).where(by_text(Project.id, "reparation", since=since))
        return str(query.compile(dialect=postgresql.dialect()))

    # Then the window's rows are checked one by one (PostgreSQL guesses that a prefix query
    # matches a few rows, and would read every match through the GIN index), while a search
    # of every row goes through the index
    assert "ts_match_vq(project.search_vector, communs_search_query(" in compiled(literal(""))
    assert "project.search_vector @@ communs_search_query(" in compiled(None)
