"""Browser journeys: one headless Chromium for the run, a real instance per journey."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.driver import missing_tools, start_chromium


@pytest.fixture(scope="session")
def chromium() -> Iterator[WebDriver]:
    """Headless Chromium; the journeys are skipped without it, except in CI (then they fail)."""
    problem = missing_tools()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    driver = start_chromium()
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def fresh_chromium(chromium: WebDriver) -> WebDriver:
    """The shared Chromium with no cookies left by another journey."""
    chromium.delete_all_cookies()
    return chromium
