"""Feeds, badges and previews: Atom feeds read by feedparser, SVG badges with their embed
snippets, and the OpenGraph picture of each call."""

from __future__ import annotations

import io
import os
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import feedparser
import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from tests.conftest import create_actor
from tests.publications import bearer, pledge_body, post_call, post_project


def plain(text: str | None) -> str:
    """Text with babel's no-break spaces as plain ones (they print alike)."""
    return " ".join((text or "").split())


class Page(HTMLParser):
    """The meta tags, Atom links and embed snippets of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.feeds: list[str] = []
        self.snippets: dict[str, str] = {}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "meta":
            self.meta[found.get("property") or found.get("name", "")] = found.get("content", "")
        elif tag == "link" and found.get("type") == "application/atom+xml":
            self.feeds.append(found["href"])
        elif tag == "textarea":
            self._in = found.get("class", "")

    def handle_endtag(self, tag: str) -> None:
        self._in = None if tag == "textarea" else self._in

    def handle_data(self, data: str) -> None:
        if self._in:
            self.snippets[self._in] = self.snippets.get(self._in, "") + data


async def funded_call(
    app: FastAPI, client: httpx.AsyncClient, *, language: str = "en"
) -> tuple[str, dict[str, Any]]:
    """A call of 50 000 € with six accepted pledges adding up to 26 000 € (52 %), by an actor
    writing in ``language``."""
    _, token = await create_actor(app, "scop", name="La Scop", language=language)
    project = await post_project(client, token, name="OpenMap")
    call = await post_call(client, token, project_id=project["id"], title="Two developers")
    for amount in ("10000", "5000", "5000", "3000", "2000", "1000"):
        response = await client.post(
            f"/api/v1/funding-calls/{call['id']}/pledges",
            json=pledge_body(amount),
            headers=bearer(token),
        )
        assert response.status_code == 201, response.text
    return token, call


async def test_actor_feed__projects_calls_and_declarations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with a project, a call and a declaration
    token, call = await funded_call(app, client)
    project = (await client.get("/api/v1/projects")).json()["items"][0]
    await client.post(
        "/api/v1/declarations",
        json={"project": project["id"], "kind": "uses", "text": "Every day."},
        headers=bearer(token),
    )

    # When a feed reader reads its feed
    response = await client.get("/feeds/actors/scop.atom")

    # Then it is well-formed Atom, newest first, each entry linking its page
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0 and feed.version == "atom10"
    assert feed.feed.title.startswith("La Scop")
    assert [e.title for e in feed.entries] == ["Uses OpenMap", "Two developers", "OpenMap"]
    entry = feed.entries[1]
    assert entry.link == call["url"] and entry.id == call["uri"]
    assert "€26,000.00 of €50,000.00 raised (52%)" in plain(entry.summary)
    assert entry.author == "La Scop"
    # And the profile page announces it
    assert Page((await client.get("/@scop")).text).feeds == ["/feeds/actors/scop.atom"]
    # And it is cacheable
    again = await client.get(
        "/feeds/actors/scop.atom", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert (await client.get("/feeds/actors/nobody.atom")).status_code == 404


async def test_project_calls_feed__and_directory_search_feed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project with a call, and two actors of different kinds
    _, call = await funded_call(app, client)
    await create_actor(app, "lyon", name="Lyon", kind="public_body", region="84")
    project_id = call["project_id"]

    # Then the project's calls feed lists the call
    calls = feedparser.parse((await client.get(f"/feeds/projects/{project_id}/calls.atom")).content)
    assert calls.bozo == 0 and [e.title for e in calls.entries] == ["Two developers"]
    # And a directory search has its feed, filtered by the query string
    search = feedparser.parse(
        (await client.get("/feeds/directory.atom?type=actor&kind=public_body&region=84")).content
    )
    assert search.bozo == 0 and [e.title for e in search.entries] == ["Lyon"]
    everything = feedparser.parse((await client.get("/feeds/directory.atom")).content)
    assert {"Lyon", "La Scop", "OpenMap", "Two developers"} <= {e.title for e in everything.entries}
    # And the home page links the feed of its search
    page = (await client.get("/?type=actor&kind=public_body")).text
    assert "/feeds/directory.atom?type=actor&amp;kind=public_body" in page
    assert (await client.get("/feeds/directory.atom?region=Atlantis")).status_code == 422


async def test_call_badge__progress_funders_cacheable_and_embeddable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, call = await funded_call(app, client)

    # When a README shows the call's badge
    response = await client.get(f"/badges/funding-calls/{call['id']}.svg")

    # Then it is a cacheable SVG saying the progress
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=300"
    svg = ElementTree.fromstring(response.content)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert [plain(t) for t in texts] == ["funding", "52% of €50,000 · 6 funders"]
    assert "script" not in response.text
    revalidated = await client.get(
        f"/badges/funding-calls/{call['id']}.svg",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert revalidated.status_code == 304
    # And the call's page shows how to embed it, in Markdown and in HTML
    page = Page((await client.get(f"/funding-calls/{call['id']}")).text)
    badge = f"http://communs.test/badges/funding-calls/{call['id']}.svg?lang=en"
    alt = "Two developers: 52% of €50,000 · 6 funders"
    assert plain(page.snippets["embed-markdown"]) == f"[![{alt}]({badge})]({call['url']})"
    html = f'<a href="{call["url"]}"><img src="{badge}" alt="{alt}"></a>'
    assert plain(page.snippets["embed-html"]) == html


async def test_project_badge__used_by_n(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "scop")
    project = await post_project(client, token, name="OpenMap")
    for name in ("lyon", "grenoble"):
        _, user = await create_actor(app, name)
        await client.post(
            "/api/v1/declarations",
            json={"project": project["id"], "kind": "uses"},
            headers=bearer(user),
        )
    response = await client.get(f"/badges/projects/{project['id']}.svg")
    assert "used by 2" in response.text and response.headers["etag"]
    page = Page((await client.get(f"/projects/{project['id']}")).text)
    assert f"/badges/projects/{project['id']}.svg" in page.snippets["embed-markdown"]
    assert page.feeds == [f"http://communs.test/feeds/projects/{project['id']}/calls.atom"]
    assert (await client.get("/badges/projects/nope.svg")).status_code == 404


def badge_texts(response: httpx.Response) -> list[str]:
    """The words drawn on an SVG badge, then its accessible name."""
    svg = ElementTree.fromstring(response.content)
    texts = [plain(t.text) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    return [*texts, plain(svg.get("aria-label"))]


async def test_call_badge__follows_lang_else_its_actors_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call by an actor who writes in French
    _, call = await funded_call(app, client, language="fr")
    badge = f"/badges/funding-calls/{call['id']}.svg"
    french = ["financement", "52 % de 50 000 € · 6 financeurs"]
    english = ["funding", "52% of €50,000 · 6 funders"]

    # Then its badge is French, whatever the browser asks, unless ?lang= names a language
    asked_english = await client.get(badge, headers={"Accept-Language": "en"})
    assert badge_texts(asked_english) == [*french, "financement: 52 % de 50 000 € · 6 financeurs"]
    assert badge_texts(await client.get(f"{badge}?lang=en"))[:2] == english
    assert badge_texts(await client.get(f"{badge}?lang=xx"))[:2] == french
    # And the English page embeds the English badge, and the French page the French one
    for language, words in (("en", english), ("fr", french)):
        page = Page((await client.get(f"/funding-calls/{call['id']}?lang={language}")).text)
        alt = f"Two developers: {words[1]}"
        src = f"http://communs.test{badge}?lang={language}"
        assert plain(page.snippets["embed-markdown"]) == f"[![{alt}]({src})]({call['url']})"
        assert plain(page.meta["og:image:alt"]) == alt


async def test_project_badge__and_its_alt_text_follow_the_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "scop", language="fr")
    project = await post_project(client, token, name="OpenMap")
    _, user = await create_actor(app, "lyon")
    await client.post(
        "/api/v1/declarations",
        json={"project": project["id"], "kind": "uses"},
        headers=bearer(user),
    )
    badge = f"/badges/projects/{project['id']}.svg"
    assert badge_texts(await client.get(badge))[:2] == ["commun", "utilisé par 1"]
    assert badge_texts(await client.get(f"{badge}?lang=en"))[:2] == ["commons", "used by 1"]
    page = Page((await client.get(f"/projects/{project['id']}?lang=fr")).text)
    assert "[![OpenMap: Utilisé par 1 organisation · " in plain(page.snippets["embed-markdown"])
    assert f"{badge}?lang=fr)" in page.snippets["embed-markdown"]


async def test_call_preview__a_png_with_the_progress_named_by_og_image(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, call = await funded_call(app, client)

    # When Mastodon builds the link's preview card from the page
    page = Page((await client.get(f"/funding-calls/{call['id']}")).text)
    image_url = page.meta["og:image"]
    assert image_url == f"http://communs.test/previews/funding-calls/{call['id']}.png?lang=en"
    assert plain(page.meta["og:image:alt"]) == "Two developers: 52% of €50,000 · 6 funders"
    response = await client.get(image_url)

    # Then it gets a 1200×630 PNG whose bar is filled to 52 %
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    bar_y = 432
    green = [x for x in range(80, 1120) if image.getpixel((x, bar_y)) == (0x2E, 0x7D, 0x32)]
    assert 600 <= max(green) <= 640  # 80 + 52 % of 1 040 = 621
    # And a revalidation is answered without drawing again
    again = await client.get(image_url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert (await client.get("/previews/funding-calls/nope.png")).status_code == 404


async def test_call_preview__drawn_in_the_page_language_else_in_its_actors(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a call by an actor who writes in French
    _, call = await funded_call(app, client, language="fr")
    preview = f"/previews/funding-calls/{call['id']}.png"

    # Then each page names the preview of its own language
    for language in ("en", "fr"):
        page = Page((await client.get(f"/funding-calls/{call['id']}?lang={language}")).text)
        assert page.meta["og:image"] == f"http://communs.test{preview}?lang={language}"
    # And the French and English pictures differ, and without ?lang= it is the actor's French
    tags = {
        lang: (await client.get(f"{preview}?lang={lang}")).headers["etag"] for lang in ("en", "fr")
    }
    assert tags["en"] != tags["fr"]
    plain_request = await client.get(preview, headers={"Accept-Language": "en"})
    assert plain_request.headers["etag"] == tags["fr"]


def test_call_preview__draws_accented_titles_within_the_picture() -> None:
    from server.domain.badges import CallBadge
    from server.syndication.previews import _has_system_font, draw_preview

    if not _has_system_font():  # .ci/run installs it, as the Docker image does
        if os.environ.get("CI"):
            pytest.fail("DejaVu Sans is missing: apt-get install fonts-dejavu-core")
        pytest.skip("DejaVu Sans is missing: apt-get install fonts-dejavu-core")

    badge = CallBadge(52, 5_000_000, 2_600_000, "EUR", 6, "open")

    def drawn(title: str) -> Image.Image:
        png = draw_preview(title, badge, site="Communs", language="fr")
        return Image.open(io.BytesIO(png)).convert("RGB")

    # An "é" is a letter, not the box of a glyph the font lacks ("\u0378" is unassigned)
    assert drawn("é").tobytes() != drawn("\u0378").tobytes()
    # And a long title stays inside the picture's margins
    image = drawn("Deux développeurs pour OpenMap, à Œuvre, pendant un an de maintenance")
    background = image.getpixel((1199, 0))
    margin = [image.getpixel((x, y)) for x in range(1125, 1200) for y in range(60, 240)]
    assert set(margin) == {background}
