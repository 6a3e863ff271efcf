"""``communs serve --demo`` seeds one clearly marked actor, project and funding call, once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from server.demo import seed_demo


async def test_seed_demo__actor_project_and_call_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    state = app.state.communs
    await seed_demo(state.settings, state.db, state.urls)
    await seed_demo(state.settings, state.db, state.urls)
    page = (await client.get("/api/v1/directory")).json()["items"]
    assert sorted(e["type"] for e in page) == ["actor", "funding_call", "project"]
    assert all("example data" in e["name"] for e in page)
    home = (await client.get("/")).text
    assert "Demo cooperative (example data)" in home


async def test_seed_demo__pictures_drawn_at_demo_time_are_served(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    state = app.state.communs
    await seed_demo(state.settings, state.db, state.urls)
    actor = (
        await client.get("/actors/demo", headers={"Accept": "application/activity+json"})
    ).json()
    [project] = (await client.get("/api/v1/projects")).json()["items"]
    note = (
        await client.get(project["uri"], headers={"Accept": "application/activity+json"})
    ).json()
    urls = [actor["icon"]["url"], actor["image"]["url"], note["icon"]["url"]]
    urls += [image["url"] for image in note["attachment"]]
    assert len(urls) == 4 and all("/media/" in url for url in urls)
    assert note["attachment"][0]["name"].endswith("(demo data)")
    for url in urls:
        assert (await client.get(url)).status_code == 200, url
