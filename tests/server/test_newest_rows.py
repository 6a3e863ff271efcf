"""Pages of the newest rows in two steps (``server.storage.paging.newest_rows``): among the
newest rows first, then among the older ones by the filters' indexes; the same page either way,
with text search (whose SQLite form reads only the window's range of its index) on both
databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Select, select
from sqlmodel import col

from server.domain.listing import by_text
from server.storage.models import Project
from server.storage.paging import newest_rows
from tests.conftest import create_actor
from tests.publications import bearer, project_body


@pytest.fixture
async def names(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    """Twelve projects, p0 (oldest) to p11: all "common", every third "rare", p1 "unique"."""
    _, token = await create_actor(app, "coop")
    ids = {}
    for n in range(12):
        words = ["common"] + (["rare"] if n % 3 == 0 else []) + (["unique"] if n == 1 else [])
        body = project_body(name=f"p{n}", summary=" ".join(words), description="")
        response = await client.post("/api/v1/projects", json=body, headers=bearer(token))
        assert response.status_code == 201, response.text
        ids[response.json()["id"]] = f"p{n}"
    return ids


async def page(
    app: FastAPI, names: dict[str, str], q: str, *, limit: int, after: str | None = None
) -> list[str]:
    def build(since: Any) -> Select[Any]:
        return select(Project).where(by_text(Project.id, q, since=since))

    below = next((i for i, name in names.items() if name == after), None)
    async with app.state.communs.db.session() as session:
        rows = await newest_rows(
            session, build, key=col(Project.id), after=below, limit=limit, window=4
        )
    return [names[row.id] for row in rows]


@pytest.mark.parametrize(
    ("q", "limit", "after", "expected"),
    [
        ("common", 5, None, ["p11", "p10", "p9", "p8", "p7"]),  # within the newest four + one
        ("COMMON", 3, None, ["p11", "p10", "p9"]),  # the window alone holds the page
        ("unique", 5, None, ["p1"]),  # only among the older rows
        ("rare", 3, None, ["p9", "p6", "p3"]),  # one from the window, two older
        ("rare", 3, "p9", ["p6", "p3", "p0"]),  # a window below the cursor
        ("rare", 5, "p0", []),
        ("nothing", 5, None, []),
    ],
)
async def test_newest_rows__same_page_from_the_window_or_the_index(
    app: FastAPI,
    names: dict[str, str],
    q: str,
    limit: int,
    after: str | None,
    expected: list[str],
) -> None:
    assert await page(app, names, q, limit=limit, after=after) == expected
