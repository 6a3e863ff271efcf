"""HTML pages of projects, funding calls and profiles: readable without JavaScript, linked."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
from fastapi import FastAPI

from tests.conftest import create_actor
from tests.publications import bearer, offer_body, pledge_body, post_call, post_project


class Page(HTMLParser):
    """The parts of a page the tests look at: meta and link tags, hrefs, scripts, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.alternates: list[str] = []
        self.hrefs: list[str] = []
        self.scripts = 0
        self.widths: list[str] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "meta":
            self.meta[found.get("property") or found.get("name", "")] = found.get("content", "")
        elif tag == "link" and found.get("type") == "application/activity+json":
            self.alternates.append(found.get("href", ""))
        elif tag == "a":
            self.hrefs.append(found.get("href", ""))
        elif tag == "script":
            self.scripts += 1
        if "width:" in found.get("style", ""):
            self.widths.append(found["style"])

    def handle_data(self, data: str) -> None:
        self.text += data


async def test_funding_call_page__progress_pledges_and_metadata(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call for a project with pledges from a local actor and an offline funder
    _, token = await create_actor(app, "coop", name="La Coop")
    _, region = await create_actor(app, "region", name="La Région", kind="public_body")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"], deadline="2099-03-01")
    path = f"/api/v1/funding-calls/{call['id']}/pledges"
    await client.post(path, json=pledge_body("10000"), headers=bearer(token))
    own = offer_body(call["uri"], "2500", "individual")
    await client.post("/api/v1/pledges", json=own, headers=bearer(region))
    # When a browser opens the call's URL
    response = await client.get(f"/funding-calls/{call['id']}", headers={"Accept": "text/html"})
    # Then it gets the page, with the AS2 alternate as a tag and as a Link header
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept"
    assert f'<{call["uri"]}>; rel="alternate"' in response.headers["link"]
    page = Page(response.text)
    assert page.alternates == [call["uri"]] and page.scripts == 0
    # And OpenGraph tags and fediverse:creator for Mastodon's preview card
    assert page.meta["og:title"] == "Co-fund Commons Cloud"
    assert page.meta["og:url"] == call["url"] and page.meta["og:type"] == "article"
    assert "€12,500.00 of €50,000.00 raised (25%)" in page.meta["og:description"]
    assert page.meta["fediverse:creator"] == "@coop@communs.test"
    # And the progress in figures and as bars, in total and per sector
    assert "€12,500.00 of €50,000.00 raised (25%)" in page.text
    assert "Public sector" in page.text and "€10,000.00" in page.text
    assert "Individuals" in page.text and "€2,500.00" in page.text
    assert "width: 20%" in page.widths[0] and "width: 5%" in page.widths[1]  # stacked bar
    assert len(page.widths) == 2 + 4  # stacked segments + one bar per sector
    # And the pledges, the deadline and links to the actor, the project and the pledger
    assert "Région Auvergne-Rhône-Alpes" in page.text and "La Région" in page.text
    assert "Good luck!" in page.text and "1 March 2099" in page.text
    assert {"http://communs.test/@coop", project["url"], "http://communs.test/@region"} <= set(
        page.hrefs
    )


async def test_project_page__links_its_calls_and_actor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    call = await post_call(client, token, project_id=project["id"])
    response = await client.get(f"/projects/{project['id']}")
    assert response.status_code == 200 and response.headers["vary"] == "Accept"
    page = Page(response.text)
    assert page.alternates == [project["uri"]] and page.scripts == 0
    assert page.meta["og:title"] == "Commons Cloud"
    assert page.meta["fediverse:creator"] == "@coop@communs.test"
    assert call["url"] in page.hrefs and "http://communs.test/@coop" in page.hrefs
    assert "Co-fund Commons Cloud" in page.text and "€0.00 of €50,000.00" in page.text


async def test_profile_page__lists_projects_and_calls(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with a project and a closed call
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token, is_pinned=True)
    call = await post_call(client, token, title="Old call")
    await client.patch(
        f"/api/v1/funding-calls/{call['id']}", json={"status": "cancelled"}, headers=bearer(token)
    )
    # When its profile is opened
    page = Page((await client.get("/@coop")).text)
    # Then both are linked, with the call's status
    assert project["url"] in page.hrefs and call["url"] in page.hrefs
    assert "Old call" in page.text and "cancelled" in page.text and "Pinned" in page.text


async def test_deleted_objects__pages_are_gone(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    await client.delete(f"/api/v1/funding-calls/{call['id']}", headers=bearer(token))
    assert (await client.get(f"/funding-calls/{call['id']}")).status_code == 410
    assert (await client.get("/funding-calls/nope")).status_code == 404
    assert call["url"] not in Page((await client.get("/@coop")).text).hrefs
