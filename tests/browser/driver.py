"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium,
with axe-core (npm, ``tests/browser/node_modules``) run in every page it opens.

Selenium blocks, and the servers under test run on the test's event loop, so every call goes
through a thread (``await browser.open(...)``). Screenshots are saved in
``tests/browser/artifacts/`` (or ``COMMUNS_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("COMMUNS_TEST_ARTIFACTS", HERE / "artifacts"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Rules of WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def missing_tools() -> str | None:
    """Say what the browser tests lack, or None when Chromium, its driver and axe are here."""
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{what} is not installed (apt-get install chromium chromium-driver)"
    if not AXE.exists():
        return "axe-core is not installed (npm ci --prefix tests/browser)"
    return None


def start_chromium() -> WebDriver:
    """Start headless Chromium, as root in a container: no sandbox, nothing phoning home."""
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1200,1000",
        "--lang=en",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@dataclass
class Browser:
    """One journey in the shared Chromium: pages opened, axe's findings, screenshots."""

    driver: WebDriver
    base_url: str
    journey: str
    pages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: Viewport width to emulate (a phone below 600 px), and screenshots of the whole page.
    width: int | None = None

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    def _audit(self) -> None:
        """Run axe in the page; keep its serious and critical findings; take a screenshot."""
        driver = self.driver
        name = f"{self.journey}-{len(self.pages):02d}"
        self.pages.append(driver.current_url)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if self.width is not None:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            self.emulate(min(int(height), 6000))
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        if self.width is not None:
            self.emulate()
        if driver.execute_script("return typeof window.axe") == "undefined":
            driver.execute_script(AXE.read_text())
        found = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
            ".catch(e => done([['axe-error', 'critical', String(e)]]));",
            AXE_TAGS,
        )
        for rule, impact, nodes in found:
            if impact in ("serious", "critical"):
                self.violations.append(f"{driver.current_url}: {rule} ({impact}, {nodes} nodes)")

    def emulate(self, height: int = 900) -> None:
        """Give the page a viewport of ``width`` by ``height`` CSS pixels (no-op without one)."""
        if self.width is not None:
            self.driver.execute_cdp_cmd(  # type: ignore[attr-defined]
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": self.width,
                    "height": height,
                    "deviceScaleFactor": 1,
                    "mobile": self.width < 600,
                },
            )

    def _open(self, path: str) -> None:
        self.driver.get(path if path.startswith("http") else self.base_url + path)
        self._audit()

    async def open(self, path: str) -> None:
        """Open a page (a path of the instance, or a full URL) and audit it."""
        await self._run(self._open, path)

    def _fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            element = self.driver.find_element(By.ID, name)
            if element.tag_name == "select":
                element.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
            elif element.get_attribute("type") == "date":  # typed in the browser's locale
                self.driver.execute_script("arguments[0].value = arguments[1]", element, value)
            elif element.get_attribute("type") == "checkbox":
                if element.is_selected() != (value == "true"):
                    element.click()
            else:
                element.clear()
                element.send_keys(value)

    def _submit(self, fields: dict[str, str], button: str | None) -> None:
        self._fill(fields)
        if button is None:
            target = self.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
        else:
            target = self.driver.find_element(
                By.XPATH, f"//button[normalize-space()={_xpath_text(button)}]"
            )
        target.click()
        self._audit()

    async def submit(
        self, fields: dict[str, str] | None = None, *, button: str | None = None
    ) -> None:
        """Fill fields (by id) and press a button (by its text; the first of the page's main
        form when None), as a person would; then audit the page it leads to."""
        await self._run(self._submit, fields or {}, button)

    async def attach(self, element_id: str, path: str) -> None:
        """Choose the file at ``path`` in the file input ``element_id``, as a person would."""
        await self._run(lambda: self.driver.find_element(By.ID, element_id).send_keys(path))

    async def text(self) -> str:
        """Return the visible text of the page."""
        return str(await self._run(lambda: self.driver.find_element(By.TAG_NAME, "body").text))

    async def url(self) -> str:
        """Return the address of the page."""
        return str(await self._run(lambda: self.driver.current_url))

    async def find_text(self, element_id: str) -> str:
        """Return the text of the element with this id."""
        return str(await self._run(lambda: self.driver.find_element(By.ID, element_id).text))

    async def accessible_names(self, css: str) -> list[str]:
        """Return the names Chromium gives assistive technologies for the elements matching
        ``css``: what a screen reader announces."""

        def names() -> list[str]:
            return [e.accessible_name for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

        return list(await self._run(names))

    async def html(self) -> str:
        """Return the page's HTML."""
        return str(await self._run(lambda: self.driver.page_source))

    def assert_accessible(self) -> None:
        """Fail on any serious or critical axe finding of the journey's pages."""
        assert self.pages, "the journey opened no page"
        assert self.violations == [], "\n".join(self.violations)


def _xpath_text(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


def first_match(pattern: str, text: str) -> str:
    """Return the first group of ``pattern`` in ``text`` (the test fails without one)."""
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not found"
    return found.group(1)
