"""The public pages in a real headless Chromium, in both languages, at 360, 768 and 1280 px:
screenshots kept (tests/browser/artifacts/public-*.png), no sideways scrolling at 360 px,
axe-core finding nothing serious, nothing loaded from another origin, under 100 KB without
images. And the journeys people take there: a visitor follows from a profile through their
own server's WebFinger template; a signed-in member pledges from a call's page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from tests.browser.driver import Browser
from tests.conftest import create_actor
from tests.publications import bearer, offer_body, pledge_body, post_call, post_project
from tests.realservers import Instance, bound_socket, run_asgi, serve
from tests.webapp.people import PASSWORD, make_account

pytestmark = pytest.mark.slow

WIDTHS = (360, 768, 1280)
#: A page's HTML, CSS, scripts and fonts, without its images.
MAX_WEIGHT = 100_000


@pytest.fixture
async def instance(database_url: str) -> AsyncIterator[Instance]:
    async with serve(database_url) as running:
        yield running


@pytest.fixture
def viewport(fresh_chromium: WebDriver) -> Iterator[WebDriver]:
    """The shared Chromium, its emulated viewport cleared afterwards."""
    yield fresh_chromium
    fresh_chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]


async def _publish(running: Instance) -> dict[str, str]:
    """An actor with a project and a call with pledges from two sectors; return the paths."""
    _, token = await create_actor(
        running.app, "coop", name="La Coop des Communs", kind="cooperative", region="84"
    )
    _, region = await create_actor(running.app, "region", name="La Région", kind="public_body")
    transport = httpx.AsyncHTTPTransport()
    async with httpx.AsyncClient(base_url=running.base_url, transport=transport) as http:
        project = await post_project(http, token, tags=["cloud", "libre"])
        call = await post_call(
            http, token, project_id=project["id"], goal={"amount": "30000", "currency": "EUR"}
        )
        await post_call(http, token, title="Traduction de la documentation")
        path = f"/api/v1/funding-calls/{call['id']}/pledges"
        await http.post(path, json=pledge_body("7500"), headers=bearer(token))
        await http.post(
            "/api/v1/pledges",
            json=offer_body(call["uri"], "2500", "private"),
            headers=bearer(region),
        )
        await http.post(
            "/api/v1/follows", json={"target": f"coop@{running.domain}"}, headers=bearer(region)
        )
    return {
        "home": "/",
        "directory": "/?type=funding_call&status=open&currency=EUR",
        "profile": "/@coop",
        "project": urlsplit(project["url"]).path,
        "call": urlsplit(call["url"]).path,
        "error": "/@nobody",
    }


def _measure(driver: WebDriver, origin: str) -> dict[str, Any]:
    """What the page loaded (from where, how heavy without images) and its widths."""
    result: dict[str, Any] = driver.execute_script(
        """
        const entries = performance.getEntriesByType('resource');
        const nav = performance.getEntriesByType('navigation')[0];
        const heavy = entries.filter(e => e.initiatorType !== 'img' && e.initiatorType !== 'image'
          && !/\\.(png|jpe?g|webp|gif|svg)(\\?|$)/.test(e.name));
        return {
          urls: [document.URL, ...entries.map(e => e.name)],
          weight: (nav ? nav.decodedBodySize : document.documentElement.outerHTML.length)
            + heavy.reduce((sum, e) => sum + (e.decodedBodySize || e.encodedBodySize || 0), 0),
          scroll: document.documentElement.scrollWidth,
          inner: window.innerWidth,
          lang: document.documentElement.lang,
        };
        """
    )
    result["foreign"] = [u for u in result["urls"] if not u.startswith(origin + "/")]
    return result


async def test_public_pages__both_languages_three_widths(
    viewport: WebDriver, instance: Instance
) -> None:
    running = instance
    paths = await _publish(running)
    problems: list[str] = []
    violations: list[str] = []
    for language in ("en", "fr"):
        for width in WIDTHS:
            for name, path in paths.items():
                browser = Browser(
                    driver=viewport,
                    base_url=running.base_url,
                    journey=f"public-{name}-{language}-{width}",
                    width=width,
                )
                await asyncio.to_thread(browser.emulate)
                # The switcher's own link: it keeps the choice in a cookie and comes back
                await browser.open(f"/language?to={language}&next={quote(path)}")
                found = await asyncio.to_thread(_measure, viewport, running.base_url)
                where = f"{name} ({language}, {width} px)"
                if found["lang"] != language:
                    problems.append(f"{where}: <html lang={found['lang']}>")
                if found["inner"] != width:
                    problems.append(f"{where}: viewport {found['inner']} px")
                if width == 360 and found["scroll"] > found["inner"]:
                    problems.append(f"{where}: scrolls sideways ({found['scroll']} px)")
                if found["foreign"]:
                    problems.append(f"{where}: loads from elsewhere {found['foreign']}")
                if found["weight"] >= MAX_WEIGHT:
                    problems.append(f"{where}: weighs {found['weight']} bytes")
                violations += browser.violations
    assert problems == []
    assert violations == []


@contextlib.asynccontextmanager
async def home_server() -> AsyncIterator[str]:
    """A visitor's own fediverse server on 127.0.0.1: WebFinger with OStatus' subscribe
    template, and the page it leads to. Yields its host."""
    sock = bound_socket()
    host = f"127.0.0.1:{sock.getsockname()[1]}"

    async def webfinger(request: Request) -> JSONResponse:
        template = f"http://{host}/authorize_interaction?uri={{uri}}"
        links = [{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": template}]
        return JSONResponse({"subject": request.query_params["resource"], "links": links})

    async def authorize(request: Request) -> HTMLResponse:
        uri = request.query_params.get("uri", "")
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><title>Follow?</title></head><body><main>'
            f'<h1>Follow <span id="target">{uri}</span>?</h1></main></body></html>'
        )

    app = Starlette(
        routes=[
            Route("/.well-known/webfinger", webfinger),
            Route("/authorize_interaction", authorize),
        ]
    )
    async with run_asgi(app, sock):
        yield host


async def test_journey__a_visitor_follows_from_the_profile_on_their_own_server(
    fresh_chromium: WebDriver, instance: Instance
) -> None:
    running = instance
    actor, _ = await create_actor(running.app, "coop", name="La Coop")
    browser = Browser(driver=fresh_chromium, base_url=running.base_url, journey="follow-remote")
    async with home_server() as host:
        # Given a visitor on the profile, who first types a handle that is no handle
        await browser.open("/@coop")
        await browser.submit({"follow-handle": "me at home"}, button="Follow")
        assert "This is not a fediverse handle" in await browser.text()
        # When they type their own handle
        await browser.submit({"follow-handle": f"@me@{host}"}, button="Follow")
        # Then their server asks them to confirm following our actor
        assert (await browser.url()).startswith(f"http://{host}/authorize_interaction")
        assert await browser.find_text("target") == actor.uri
    browser.assert_accessible()


async def test_journey__a_member_pledges_from_the_call_page(
    fresh_chromium: WebDriver, instance: Instance
) -> None:
    running = instance
    _, token = await create_actor(running.app, "coop", name="La Coop")
    fan, _ = await create_actor(running.app, "fan", name="Les Amis")
    await make_account(running.app, "ada@example.org", member_of=fan)
    transport = httpx.AsyncHTTPTransport()
    async with httpx.AsyncClient(base_url=running.base_url, transport=transport) as http:
        call = await post_call(http, token)
    path = urlsplit(call["url"]).path
    browser = Browser(driver=fresh_chromium, base_url=running.base_url, journey="pledge-page")
    # Given a visitor, told how to pledge from elsewhere, who signs in
    await browser.open(path)
    assert "Pledge from your own Communs instance" in await browser.text()
    await browser.open(f"/signin?next={quote(path)}")
    await browser.submit({"email": "ada@example.org", "password": PASSWORD})
    # When she pledges from the call's page
    await browser.open(path)
    await browser.submit(
        {"pledge-amount": "120.50", "pledge-sector": "civil_society"}, button="Pledge as @fan"
    )
    # Then she is back on the call's page, which counts it
    assert urlsplit(await browser.url()).path == path
    text = await browser.text()
    assert "€120.50 of €50,000.00" in text and "Les Amis" in text
    browser.assert_accessible()
